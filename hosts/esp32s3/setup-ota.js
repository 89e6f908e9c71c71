// setup/ota on the board: Moddable runs setup modules before it imports the main module, so the
// slot the record chooses (ota_slots.c map()) is mapped before app/camera is looked up — an
// installed app layer runs instead of the firmware's own. A trial whose slot XS does not take
// fails at once (the board restarts into the previous slot); any other failure here leaves the
// firmware's own app layer to run.
import { fail, map, restart, status } from "ivxs/ota-board";

export default function (done) {
	try {
		const slot = map();
		const record = status();
		if (slot) trace(`ota: slot ${slot} mapped (${record.trial ? `trial of ${record.trialVersion}` : record.activeVersion})\n`);
		else if (record.trial) {
			trace(`ota: the trial's slot ${record.trialSlot} holds no app layer XS takes: back to the previous slot\n`);
			fail("the slot holds no app layer XS takes");
			return restart();
		}
	}
	catch (error) {
		trace(`ota: ${error.message}: the firmware's own app layer runs\n`);
	}
	done();
}
