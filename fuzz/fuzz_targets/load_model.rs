//! libFuzzer entry point: a model folder with one file replaced by arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscope_fuzz::load_model(data));
