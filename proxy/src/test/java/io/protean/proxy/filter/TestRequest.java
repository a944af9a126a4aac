package io.protean.proxy.filter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.observability.Stats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One request as a filter sees it, for the native filters' unit tests: its metadata, its peer,
 * what the filter answered. Timers run on an {@link EmbeddedChannel}'s loop, whose clock a test
 * advances. The proxy's own context (ActiveRequest) is exercised by the end-to-end tests.
 */
final class TestRequest implements FilterContext {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  final Frame frame;
  InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
  EmbeddedChannel loop;
  ErrorType replied;
  String message;
  int resumed;
  boolean completed;

  TestRequest(String... kv) {
    Metadata m = new Metadata();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    frame = new Frame(Unpooled.EMPTY_BUFFER, MessageType.REQUEST, 1, m, null, 0, 0);
  }

  TestRequest from(String ip) {
    peer = new InetSocketAddress(ip, 40000);
    return this;
  }

  TestRequest on(EmbeddedChannel loop) {
    this.loop = loop;
    return this;
  }

  /** Parses a filter's YAML config as the proxy hands it to the provider. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String text) {
    try {
      return YAML.readValue(text, Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static FilterFactory factory(FilterProvider provider, Stats stats, String config) {
    return provider.create(yaml(config), ExtensionContext.of(stats));
  }

  /** Runs this request through {@code filter}; returns what onRequest said. */
  FilterStatus through(Filter filter) {
    return filter.onRequest(this);
  }

  void complete(Filter filter) {
    completed = true;
    filter.onComplete(this);
  }

  @Override
  public String listener() {
    return "test";
  }

  @Override
  public InetSocketAddress downstreamAddress() {
    return peer;
  }

  @Override
  public Frame request() {
    return frame;
  }

  @Override
  public Frame response() {
    return null;
  }

  @Override
  public void setRequestMetadata(String key, String value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setResponseMetadata(String key, String value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void sendLocalReply(ErrorType error, String message) {
    if (completed) {
      throw new IllegalStateException("answered after completion");
    }
    this.replied = error;
    this.message = message;
  }

  @Override
  public void resume() {
    if (completed) {
      throw new IllegalStateException("resumed after completion");
    }
    resumed++;
  }

  @Override
  public EventExecutor executor() {
    if (loop == null) {
      throw new IllegalStateException("this test gave the request no event loop");
    }
    return loop.eventLoop();
  }
}
