;; A proxy-wasm filter that reads bodies, for the body tests:
;;   proxy_on_request_body:  the first 4 bytes of the request body become request header "x-body"
;;   proxy_on_response_body: the first 4 bytes of the response body become response header "x-body"
;; Both continue.
(module
  (import "env" "proxy_get_buffer_bytes" (func $buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 16) "x-body")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  ;; Copies the first 4 bytes of body buffer $buffer into header "x-body" of map $map.
  (func $copy (param $buffer i32) (param $map i32)
    (if (i32.eqz (call $buffer (local.get $buffer) (i32.const 0) (i32.const 4) (i32.const 8) (i32.const 12)))
      (then (drop (call $add (local.get $map) (i32.const 16) (i32.const 6)
        (i32.load (i32.const 8)) (i32.load (i32.const 12)))))))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (call $copy (i32.const 0) (i32.const 0))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
    (call $copy (i32.const 1) (i32.const 2))
    (i32.const 0)))
