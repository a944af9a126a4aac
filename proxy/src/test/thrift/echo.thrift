// The service the Thrift codec tests talk to, through libthrift's generated Java code.
// Regenerate with ./generate.sh after a change (the generated sources are committed).
namespace java io.protean.proxy.codec.thrift.gen

enum Colour {
  RED = 1,
  GREEN = 2
}

struct Inner {
  1: i64 id,
  2: optional string label,
  3: list<Inner> children
}

/** Every Thrift type the skippers must walk over. */
struct Payload {
  1: bool flag,
  2: i8 tiny,
  3: i16 small,
  4: i32 medium,
  5: i64 large,
  6: double ratio,
  7: string text,
  8: binary blob,
  9: list<string> names,
  10: map<string, i32> counts,
  11: set<i64> ids,
  12: Inner inner,
  13: map<i32, list<Inner>> nested,
  14: Colour colour,
  15: list<bool> flags
}

exception EchoFailure {
  1: i32 code,
  2: string reason
}

service Echo {
  string echo(1: string text),
  i32 add(1: i32 a, 2: i32 b),
  oneway void note(1: string text),
  string fail(1: i32 code) throws (1: EchoFailure failure),
  Payload roundTrip(1: Payload payload),
  string slow(1: i32 millis)
}
