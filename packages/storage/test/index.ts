// @fewlabel/storage/testing: byte-exact fixture writers for tests (zips and PNGs that real tools refuse to make).
export * from "./png-fixture";
export * from "./zip-fixture";
