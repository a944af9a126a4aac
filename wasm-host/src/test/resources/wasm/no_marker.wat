;; Valid Wasm with every codec export but the ABI version marker: the host must refuse it.
(module
  (memory (export "memory") 1)
  (func (export "protean_codec_input") (param i32) (result i32) (i32.const 0))
  (func (export "protean_codec_init") (param i32) (result i32) (i32.const 0))
  (func (export "protean_codec_decode") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "protean_codec_encode") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "protean_codec_error_reply") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "protean_codec_heartbeat_reply") (param i32 i32) (result i32) (i32.const 0)))
