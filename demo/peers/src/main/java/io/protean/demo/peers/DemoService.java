package io.protean.demo.peers;

/** The service the demo's real Dubbo providers export. */
public interface DemoService {

  /** Returns a greeting that names the provider which produced it. */
  String greet(String name);

  /** Returns {@code payload} unchanged (used for large-payload calls). */
  String echo(String payload);

  /** A one-way call: the provider records {@code note}; the caller gets no answer. */
  void note(String note);

  /** Summarises an order (exercises complex hessian2 arguments). */
  String inspect(Order order, java.util.Map<String, Object> extra, long[] ids);

  /** Always throws: the provider answers with an exception response. */
  String fail(String why);

  /** Sleeps {@code millis} before answering (used to keep a call in flight). */
  String slow(int millis);
}
