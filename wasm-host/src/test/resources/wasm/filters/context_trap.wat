;; A proxy-wasm filter whose HTTP context creation traps without saying why: refused at load.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $root i32)
    (if (local.get $root) (then (unreachable)))))
