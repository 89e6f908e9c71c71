// openeth — the emulated S3's Ethernet (C in openeth.c): start it, then poll for its DHCP address.
export function start() @ "xs_openeth_start";
export function address() @ "xs_openeth_address";
