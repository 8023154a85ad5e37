//! libFuzzer entry point: arbitrary text through the tokenizers and forward passes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscope_fuzz::text(data));
