# ICE's STUN checks against an independent stack, aioice (Debian python3-aioice, aiortc's ICE):
#   aioice_stun.py read HEX KEY           our check (HEX) parsed by aioice, its MESSAGE-INTEGRITY
#                                         checked under KEY and its FINGERPRINT; prints its attributes
#   aioice_stun.py check USERNAME KEY     a check as aioice makes one (PRIORITY, ICE-CONTROLLING,
#                                         USE-CANDIDATE, integrity under KEY, FINGERPRINT): hex
#   aioice_stun.py response HEX KEY ID    our response parsed by aioice under KEY: transaction id ID (hex)?
#                                         prints XOR-MAPPED-ADDRESS
import json
import sys

from aioice import stun

mode = sys.argv[1]
if mode == "read":
    m = stun.parse_message(bytes.fromhex(sys.argv[2]), integrity_key=sys.argv[3].encode())
    a = m.attributes
    print(json.dumps({"class": int(m.message_class), "method": int(m.message_method), "username": a.get("USERNAME"), "priority": a.get("PRIORITY"),
                      "controlling": a.get("ICE-CONTROLLING"), "controlled": a.get("ICE-CONTROLLED"), "useCandidate": "USE-CANDIDATE" in a,
                      "fingerprint": "FINGERPRINT" in a, "integrity": "MESSAGE-INTEGRITY" in a}))
elif mode == "check":
    m = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    m.attributes["USERNAME"] = sys.argv[2]
    m.attributes["PRIORITY"] = 1853824767
    m.attributes["ICE-CONTROLLING"] = 0x0102030405060708
    m.attributes["USE-CANDIDATE"] = None
    m.add_message_integrity(sys.argv[3].encode())   # (and FINGERPRINT after it)
    print(json.dumps({"hex": bytes(m).hex(), "id": m.transaction_id.hex()}))
else:
    m = stun.parse_message(bytes.fromhex(sys.argv[2]), integrity_key=sys.argv[3].encode())
    print(json.dumps({"class": int(m.message_class), "id": m.transaction_id.hex(), "mapped": list(m.attributes["XOR-MAPPED-ADDRESS"]),
                      "fingerprint": "FINGERPRINT" in m.attributes}))
