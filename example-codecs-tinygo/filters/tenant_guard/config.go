package main

import "errors"

type config struct {
	header  string
	stamp   string
	allowed map[string]bool
}

// parseConfig reads the flat JSON object this filter takes, without encoding/json (which TinyGo
// supports poorly and which makes modules larger): string values, and one array of strings.
func parseConfig(data []byte) (config, error) {
	c := config{header: "x-tenant", allowed: map[string]bool{}}
	if len(data) == 0 {
		return c, nil
	}
	s := scanner{b: data}
	if !s.consume('{') {
		return c, errors.New("expected a JSON object")
	}
	for !s.consume('}') {
		key, ok := s.str()
		if !ok || !s.consume(':') {
			return c, errors.New("expected \"key\": value at byte " + itoa(s.i))
		}
		switch key {
		case "header", "stamp":
			v, ok := s.str()
			if !ok {
				return c, errors.New(key + ": expected a string")
			}
			if key == "header" {
				c.header = v
			} else {
				c.stamp = v
			}
		case "allowed":
			if !s.consume('[') {
				return c, errors.New("allowed: expected an array of strings")
			}
			for !s.consume(']') {
				v, ok := s.str()
				if !ok {
					return c, errors.New("allowed: expected an array of strings")
				}
				c.allowed[v] = true
				s.consume(',')
			}
		default:
			return c, errors.New(key + ": unknown option (expected header, allowed or stamp)")
		}
		s.consume(',')
	}
	if c.header == "" {
		return c, errors.New("header: must not be empty")
	}
	return c, nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) consume(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes (tenant and header names need none).
func (s *scanner) str() (string, bool) {
	if !s.consume('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			return "", false
		}
		s.i++
	}
	if s.i == len(s.b) {
		return "", false
	}
	s.i++
	return string(s.b[start : s.i-1]), true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
