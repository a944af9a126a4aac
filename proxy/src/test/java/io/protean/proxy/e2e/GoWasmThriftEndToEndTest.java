package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.codec.thrift.gen.Echo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.Test;

/**
 * The same real libthrift clients and servers as {@link ThriftEndToEndTest}, with the framed
 * listeners decoded by the Thrift codec written in Go and compiled to Wasm
 * (example-codecs-tinygo/wasm/thrift.wasm, framed transport, binary protocol).
 */
class GoWasmThriftEndToEndTest extends ThriftEndToEndTest {
  static final Path MODULE = Path.of("../example-codecs-tinygo/wasm/thrift.wasm");

  @Override
  String framedCodec() {
    assertThat(Files.exists(MODULE)).as(MODULE.toAbsolutePath() + " (built by example-codecs-tinygo/build.sh)").isTrue();
    return "{wasm: {module: " + MODULE + "}}";
  }

  @Override
  String narrowCodec() {
    return framedCodec();
  }

  /** The Go codec reads binary only: a compact message closes the connection (and is logged). */
  @Test
  void compactMessagesCloseTheConnection() throws Exception {
    Echo.Client client = compactClient("thrift");
    assertThatThrownBy(() -> client.echo("compact")).isInstanceOf(TTransportException.class);
    assertThat(client("thrift", null).echo("next")).isEqualTo("a:next");
  }
}
