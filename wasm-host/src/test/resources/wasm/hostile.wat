;; A hostile codec for host tests: lenprefix (see lenprefix.wat) that misbehaves when the first
;; byte of its input selects a misbehaviour, so one module serves every case and a test can show
;; that the next frame, on a replaced instance, is decoded normally:
;;   0xE1 trap (unreachable)            0xE2 infinite loop
;;   0xE3 memory bomb, then trap       0xE4 result block pointer outside memory
;;   0xE5 block lengths past its end   0xE6 100000 metadata pairs
;;   0xE7 proxy_log with an out-of-bounds pointer: must get status 6, then NEED_MORE_DATA
;;   0xE8 unbounded recursion (stack overflow)
;;   0xE9 proxy_log of a 100-byte message: must be refused with status 2 (BadArgument, run it under
;;        max_string_bytes < 100), then NEED_MORE_DATA; traps if the host accepts the message
;;   0xEA ERROR "closed: N", N the number of protean_codec_connection_closed calls so far (0-9)
;; protean_codec_input also calls proxy_log (a host call from inside the allocator).
;; Frame: u32 big-endian payload length, then the payload; the payload's first 4 bytes are the
;; request id (big-endian). Every frame is a REQUEST with metadata {"k": "v"}.
;; encode / error_reply / heartbeat_reply echo the frame back (error_reply: NO_REPLY when the
;; error number is 7, RATE_LIMITED, so tests can see both outcomes).
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "kvdecodeerror: payload shorter than the request id")
  (data (i32.const 80) "closed: ")
  (global $closed (mut i32) (i32.const 0))
  ;; input buffer at 65536; decode block at 256; output block at 1024 (frames up to ~60 KiB)
  (global $input i32 (i32.const 65536))

  (func (export "protean_codec_abi_v1"))

  (func (export "protean_codec_input") (param $size i32) (result i32)
    (local $need i32)
    (drop (call $log (i32.const 1) (i32.const 18) (i32.const 6)))
    ;; pages needed for 65536 + size bytes
    (local.set $need (i32.add (i32.const 1)
      (i32.shr_u (i32.add (local.get $size) (i32.const 65535)) (i32.const 16))))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
        (then unreachable))))
    (global.get $input))

  (func (export "protean_codec_init") (param $len i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 18) (i32.const 6))) ;; logs "decode"
    (i32.const 0))

  (func $be32 (param $at i32) (result i32)
    (i32.or (i32.or
      (i32.shl (i32.load8_u (local.get $at)) (i32.const 24))
      (i32.shl (i32.load8_u offset=1 (local.get $at)) (i32.const 16)))
      (i32.or
        (i32.shl (i32.load8_u offset=2 (local.get $at)) (i32.const 8))
        (i32.load8_u offset=3 (local.get $at)))))

  (func $block3 (param $len i32) (param $status i32) (param $n i32) (result i32)
    (i32.store (i32.const 256) (local.get $len))
    (i32.store (i32.const 260) (local.get $status))
    (i32.store (i32.const 264) (local.get $n))
    (i32.const 256))

  (func $recurse (param $x i32) (result i32)
    (i32.add (i32.const 1) (call $recurse (i32.add (local.get $x) (i32.const 1)))))

  (func $misbehave (param $mode i32) (result i32)
    (if (i32.eq (local.get $mode) (i32.const 0xE1)) (then unreachable))
    (if (i32.eq (local.get $mode) (i32.const 0xE2)) (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $mode) (i32.const 0xE3))
      (then
        (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
        unreachable))
    (if (i32.eq (local.get $mode) (i32.const 0xE4)) (then (return (i32.const 0x7ffffff0))))
    (if (i32.eq (local.get $mode) (i32.const 0xE5))
      (then (return (call $block3 (i32.const 0x7fffffff) (i32.const 0) (i32.const 4)))))
    (if (i32.eq (local.get $mode) (i32.const 0xE6))
      (then
        (drop (call $block3 (i32.const 46) (i32.const 0) (i32.const 8)))
        (i32.store (i32.const 288) (i32.const 100000))
        (return (i32.const 256))))
    (if (i32.eq (local.get $mode) (i32.const 0xE7))
      (then
        (if (i32.ne (call $log (i32.const 2) (i32.const 0x7ffffff0) (i32.const 64)) (i32.const 6))
          (then unreachable))
        (return (call $block3 (i32.const 12) (i32.const 1) (i32.const 0)))))
    (if (i32.eq (local.get $mode) (i32.const 0xE8)) (then (return (call $recurse (i32.const 0)))))
    (if (i32.eq (local.get $mode) (i32.const 0xEA))
      (then
        (memory.copy (i32.const 268) (i32.const 80) (i32.const 8))
        (i32.store8 (i32.const 276) (i32.add (i32.const 48) (global.get $closed)))
        (return (call $block3 (i32.const 21) (i32.const 2) (i32.const 9)))))
    (if (i32.eq (local.get $mode) (i32.const 0xE9))
      (then
        (if (i32.ne (call $log (i32.const 2) (i32.const 16) (i32.const 100)) (i32.const 2))
          (then unreachable))
        (return (call $block3 (i32.const 12) (i32.const 1) (i32.const 0)))))
    (i32.const 0))

  (func (export "protean_codec_decode") (param $conn i32) (param $off i32) (param $len i32) (result i32)
    (local $at i32) (local $n i32) (local $bad i32)
    (local.set $at (i32.add (global.get $input) (local.get $off)))
    (if (i32.gt_u (local.get $len) (i32.const 0))
      (then
        (local.set $bad (call $misbehave (i32.load8_u (local.get $at))))
        (if (local.get $bad) (then (return (local.get $bad))))))
    (if (i32.lt_u (local.get $len) (i32.const 4))
      (then (return (call $block3 (i32.const 12) (i32.const 1) (i32.const 0)))))
    (local.set $n (i32.add (i32.const 4) (call $be32 (local.get $at))))
    (if (i32.gt_u (local.get $n) (local.get $len))
      (then (return (call $block3 (i32.const 12) (i32.const 1) (local.get $n)))))
    (if (i32.lt_u (local.get $n) (i32.const 8))
      (then
        ;; ERROR with the message at 24 ("error: payload shorter than the request id", 42 bytes)
        (memory.copy (i32.const 268) (i32.const 24) (i32.const 42))
        (return (call $block3 (i32.const 54) (i32.const 2) (i32.const 42)))))
    (drop (call $block3 (i32.const 46) (i32.const 0) (local.get $n)))
    (i32.store8 (i32.const 268) (i32.const 0))      ;; REQUEST
    (i32.store8 (i32.const 269) (i32.const 4))      ;; id_width
    (i32.store16 (i32.const 270) (i32.const 0))
    (i32.store (i32.const 272) (i32.const 4))       ;; id_offset
    (i64.store (i32.const 276) (i64.extend_i32_u (call $be32 (i32.add (local.get $at) (i32.const 4)))))
    (i32.store (i32.const 284) (i32.const 0))       ;; no status
    (i32.store (i32.const 288) (i32.const 1))       ;; one pair
    (i32.store (i32.const 292) (i32.const 1))
    (i32.store8 (i32.const 296) (i32.const 107))    ;; "k"
    (i32.store (i32.const 297) (i32.const 1))
    (i32.store8 (i32.const 301) (i32.const 118))    ;; "v"
    (i32.const 256))

  (func $echo (param $len i32) (result i32)
    (i32.store (i32.const 1024) (i32.add (local.get $len) (i32.const 12)))
    (i32.store (i32.const 1028) (i32.const 0))
    (i32.store (i32.const 1032) (local.get $len))
    (memory.copy (i32.const 1036) (global.get $input) (local.get $len))
    (i32.const 1024))

  (func (export "protean_codec_encode") (param $conn i32) (param $len i32) (param $m i32) (result i32)
    (call $echo (local.get $len)))

  (func (export "protean_codec_error_reply") (param $conn i32) (param $len i32) (param $err i32) (param $mlen i32) (result i32)
    (if (i32.eq (local.get $err) (i32.const 7))
      (then
        (i32.store (i32.const 1024) (i32.const 12))
        (i32.store (i32.const 1028) (i32.const 1))
        (i32.store (i32.const 1032) (i32.const 0))
        (return (i32.const 1024))))
    (call $echo (local.get $len)))

  (func (export "protean_codec_connection_closed") (param $conn i32)
    (global.set $closed (i32.add (global.get $closed) (i32.const 1))))

  (func (export "protean_codec_heartbeat_reply") (param $conn i32) (param $len i32) (result i32)
    (call $echo (local.get $len)))
)
