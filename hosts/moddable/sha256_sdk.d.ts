// ivxs/sha256 on mcsim: the boards' declaration (the same shape).
export { default } from "../esp32s3/engines/sha256_engine.js";
