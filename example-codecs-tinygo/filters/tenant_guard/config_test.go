package main

import "testing"

func TestParseConfig(t *testing.T) {
	c, err := parseConfig([]byte(` {"header": "x-t", "allowed": ["acme", "globex"], "stamp": "x-ok"} `))
	if err != nil || c.header != "x-t" || c.stamp != "x-ok" || !c.allowed["acme"] || !c.allowed["globex"] || len(c.allowed) != 2 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{`[]`, `{"header": 1}`, `{"allowed": "acme"}`, `{"other": "x"}`, `{"header": ""}`, `{"header": "a\"b"}`} {
		if _, err := parseConfig([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
