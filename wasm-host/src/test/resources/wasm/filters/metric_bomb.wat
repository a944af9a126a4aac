;; A proxy-wasm filter that defines counters "c000", "c001", ... "c299" in proxy_on_vm_start
;; (more than a module may) and answers each request with request header "define": '0' + the
;; status of the last definition.
(module
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (global $last (mut i32) (i32.const 0))
  (data (i32.const 32) "define")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (local $i i32)
    (i32.store8 (i32.const 16) (i32.const 99)) ;; 'c'
    (loop $each
      (i32.store8 (i32.const 17) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 100))))
      (i32.store8 (i32.const 18) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $i) (i32.const 10)) (i32.const 10))))
      (i32.store8 (i32.const 19) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
      (global.set $last (call $define (i32.const 0) (i32.const 16) (i32.const 4) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 300))))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (i32.store8 (i32.const 40) (i32.add (i32.const 48) (global.get $last)))
    (drop (call $add (i32.const 0) (i32.const 32) (i32.const 6) (i32.const 40) (i32.const 1)))
    (i32.const 0)))
