// setup/network in the emulator build (the SDK's joins Wi-Fi): starts the Ethernet MAC and waits
// for its DHCP address before the app's main module runs, as the SDK's does for Wi-Fi. The clock
// is left to the app (it takes the cloud's time when it connects), so there is no SNTP here.
import { start, address } from "openeth";
import Timer from "timer";

const WAIT_MS = 30_000, POLL_MS = 100;

export default function (done) {
	try {
		start();
	}
	catch (error) {
		trace(`Ethernet: ${error.message}\n`);
		return done();
	}
	let waited = 0;
	const timer = Timer.repeat(() => {
		const ip = address();
		waited += POLL_MS;
		if (!ip && waited < WAIT_MS) return;
		Timer.clear(timer);
		trace(ip ? `Ethernet: IP address ${ip}\n` : `Ethernet: no DHCP answer in ${WAIT_MS / 1000} s; the app starts without a network\n`);
		done();
	}, POLL_MS);
}
