// Capture source (native/capture): plays an Annex-B H.264/H.265 file (and an
// ADTS AAC file) into a Ring from its own thread, paced in real time, looping;
// or streams a V4L2 camera that delivers H.264. See native/capture/README.md.
export class Capture @ "xs_capture_destructor" {
	constructor(options) @ "xs_capture_constructor";
	start() @ "xs_capture_start";
	stop() @ "xs_capture_stop";
	stats() @ "xs_capture_stats";
	still() @ "xs_capture_still";
	close() @ "xs_capture_close";
}
Object.freeze(Capture.prototype);
export default Capture;
