// The tests that reshape this machine's network (tests/_netns.mjs: namespaces, veths with
// addresses in the root namespace, nftables), run by `npm test` after every other test, one file
// at a time: a camera in the root namespace sees those addresses come and go, and a viewer of
// another test may pick one for its path just before it disappears (a capi talkback lost its path
// that way under `ava`'s parallel files).
export default {
	files: ["tests/camera-p2p-nat.test.mjs", "tests/soak-faults.test.mjs"],
	timeout: "3m",
	concurrency: 1,
	workerThreads: false,
};
