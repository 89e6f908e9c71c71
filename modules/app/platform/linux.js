// ivxs/platform on the headless Linux host (modules/app/platform.d.ts):
// the host's own file and host modules already have this shape.
export { readFile, makeDirectory, FileWriter } from "ivxs/file";
export { argv, memory, log } from "ivxs/host";
