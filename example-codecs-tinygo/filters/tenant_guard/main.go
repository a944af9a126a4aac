// tenant_guard, a filter built with the official proxy-wasm Go SDK
// (github.com/proxy-wasm/proxy-wasm-go-sdk, unmodified), run by Protean on RPC requests: the
// request's metadata is the HTTP request header map.
//
// Plugin configuration (the YAML `config`, as JSON):
//
//	{"header": "x-tenant", "allowed": ["acme", "globex"], "stamp": "x-tenant-verified"}
//
// A request whose header is missing or not allowed gets a local response (the codec's error
// reply, naming the tenant); an allowed one is forwarded with the stamp header set to the tenant.
package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &plugin{} })
}

type plugin struct {
	types.DefaultPluginContext
	config config
}

func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("tenant_guard: cannot read the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	c, err := parseConfig(data)
	if err != nil {
		proxywasm.LogCriticalf("tenant_guard: invalid plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.config = c
	proxywasm.LogInfof("tenant_guard: header %q, %d allowed tenants", c.header, len(c.allowed))
	return types.OnPluginStartStatusOK
}

func (p *plugin) NewHttpContext(uint32) types.HttpContext { return &guard{config: &p.config} }

type guard struct {
	types.DefaultHttpContext
	config *config
}

func (g *guard) OnHttpRequestHeaders(int, bool) types.Action {
	tenant, err := proxywasm.GetHttpRequestHeader(g.config.header)
	if err != nil || !g.config.allowed[tenant] {
		reason := "tenant " + quote(tenant) + " is not allowed"
		if err != nil {
			reason = "missing " + g.config.header
		}
		if err := proxywasm.SendHttpResponse(403, nil, []byte(reason), -1); err != nil {
			proxywasm.LogErrorf("tenant_guard: cannot answer: %v", err)
		}
		return types.ActionPause
	}
	if g.config.stamp != "" {
		if err := proxywasm.ReplaceHttpRequestHeader(g.config.stamp, tenant); err != nil {
			proxywasm.LogErrorf("tenant_guard: cannot set %s: %v", g.config.stamp, err)
		}
	}
	return types.ActionContinue
}

func quote(s string) string { return "\"" + s + "\"" }
