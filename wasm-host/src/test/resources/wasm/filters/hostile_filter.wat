;; A hostile proxy-wasm filter for host tests. proxy_on_request_headers misbehaves by the number
;; of request headers it is told about:
;;   1: traps (unreachable)
;;   2: loops forever
;;   3: logs from an out-of-bounds pointer and asks for the header map with out-of-bounds return
;;      slots; traps unless both calls answered 6 (InvalidMemoryAccess), else continues
;;   4: grows memory by 2 pages: pauses (1) if that succeeded, continues if it was refused (run it
;;      under max_memory_pages 3 to see the limit)
;;   5: logs a 100-byte message and sets a request header to a 100-byte value: pauses if the host
;;      accepted either, continues if both were refused with 2 (BadArgument; run it under
;;      max_string_bytes < 100)
;;   other: continues
;; malloc calls proxy_log first: a host call from inside the allocator.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 16) "malloc")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (drop (call $log (i32.const 1) (i32.const 16) (i32.const 6)))
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (if (i32.eq (local.get $n) (i32.const 1)) (then unreachable))
    (if (i32.eq (local.get $n) (i32.const 2)) (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $n) (i32.const 3))
      (then
        (if (i32.ne (call $log (i32.const 2) (i32.const 0x7ffffff0) (i32.const 8)) (i32.const 6))
          (then unreachable))
        (if (i32.ne (call $pairs (i32.const 0) (i32.const 0x7ffffff0) (i32.const 0x7ffffff8)) (i32.const 6))
          (then unreachable))))
    (if (i32.eq (local.get $n) (i32.const 4))
      (then (return (i32.ne (memory.grow (i32.const 2)) (i32.const -1)))))
    (if (i32.eq (local.get $n) (i32.const 5))
      (then (return (i32.or
        (i32.ne (call $log (i32.const 2) (i32.const 16) (i32.const 100)) (i32.const 2))
        (i32.ne (call $replace (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 16) (i32.const 100))
          (i32.const 2))))))
    (i32.const 0)))
