;; A proxy-wasm filter that changes request headers in both phases, for host tests.
;;   proxy_on_request_headers:  sets request header "k" to "v" (allowed: the request is not
;;                              forwarded yet), continues
;;   proxy_on_response_headers: replaces, adds and removes request header "k" (the request was
;;                              forwarded: each must be refused), writes each status as a response
;;                              header ("replace", "add", "remove": one digit, '0' + status), and
;;                              continues whatever the statuses were
(module
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 16) "kvlate")
  (data (i32.const 32) "replace")
  (data (i32.const 40) "add")
  (data (i32.const 48) "remove")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func $record (param $name i32) (param $len i32) (param $status i32)
    (i32.store8 (i32.const 64) (i32.add (i32.const 48) (local.get $status)))
    (drop (call $add (i32.const 2) (local.get $name) (local.get $len) (i32.const 64) (i32.const 1))))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (drop (call $replace (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 17) (i32.const 1)))
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $record (i32.const 32) (i32.const 7)
      (call $replace (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 18) (i32.const 4)))
    (call $record (i32.const 40) (i32.const 3)
      (call $add (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 18) (i32.const 4)))
    (call $record (i32.const 48) (i32.const 6)
      (call $remove (i32.const 0) (i32.const 16) (i32.const 1)))
    (i32.const 0)))
