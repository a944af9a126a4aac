package io.protean.proxy.observability;

import io.protean.abi.codec.ErrorType;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Metrics of one listener, held in fields so the request path does no registry look-up. */
public final class ListenerStats {
  private final Stats stats;
  private final String listener;
  public final Stats.Counter requests;
  public final Stats.Counter decodeErrors;
  public final Stats.Counter unreadableRequests;
  public final Stats.Counter onewayDropped;
  public final Stats.Counter heartbeats;
  public final Stats.Counter unexpectedFrames;
  public final Stats.Counter responseMutationsRefused;
  public final Stats.Gauge activeRequests;
  public final Stats.Gauge downstreamConnections;
  public final Stats.Counter downstreamConnectionsAccepted;
  public final Stats.Counter downstreamConnectionsRefused;
  public final Stats.Counter downstreamIdleTimeouts;
  public final Stats.Counter rejectedRequests;
  public final Stats.Counter readPauses;
  public final Stats.Counter requestReadTimeouts;
  public final Stats.Counter bufferOverflows;
  public final Stats.Histogram latency;
  private final Map<String, Stats.Counter> responses = new ConcurrentHashMap<>();
  private final Map<ErrorType, Stats.Counter> localReplies = new EnumMap<>(ErrorType.class);

  public ListenerStats(Stats stats, String listener) {
    this.stats = stats;
    this.listener = listener;
    requests = stats.counter("protean_listener_requests_total",
        "Requests (two-way and one-way) decoded from downstream.", "listener", listener);
    decodeErrors = stats.counter("protean_listener_decode_errors_total",
        "Downstream connections closed because their bytes could not be decoded.",
        "listener", listener);
    unreadableRequests = stats.counter("protean_listener_unreadable_requests_total",
        "Well-framed requests whose body the codec cannot read (an unknown Dubbo serialization), "
        + "answered with a codec error; the connection stays open.", "listener", listener);
    onewayDropped = stats.counter("protean_listener_oneway_dropped_total",
        "One-way requests dropped because they could not be forwarded.", "listener", listener);
    heartbeats = stats.counter("protean_listener_heartbeats_total",
        "Heartbeats answered locally.", "listener", listener);
    unexpectedFrames = stats.counter("protean_listener_unexpected_frames_total",
        "Frames a client must not send (responses, stray events), dropped.", "listener", listener);
    responseMutationsRefused = stats.counter("protean_listener_response_mutations_refused_total",
        "Responses forwarded without the metadata changes filters asked for, because the codec "
        + "cannot re-encode them (a Dubbo error status carries no attachments).",
        "listener", listener);
    activeRequests = stats.gauge("protean_listener_active_requests",
        "Requests waiting for their response.", "listener", listener);
    downstreamConnections = stats.gauge("protean_listener_downstream_connections",
        "Open downstream connections.", "listener", listener);
    downstreamConnectionsAccepted = stats.counter("protean_listener_downstream_connections_total",
        "Downstream connections accepted.", "listener", listener);
    downstreamConnectionsRefused = stats.counter(
        "protean_listener_downstream_connections_refused_total",
        "Downstream connections closed on accept because the listener had max_connections open.",
        "listener", listener);
    downstreamIdleTimeouts = stats.counter("protean_listener_downstream_idle_timeouts_total",
        "Downstream connections closed after idle_timeout without a request.", "listener", listener);
    rejectedRequests = stats.counter("protean_listener_rejected_requests_total",
        "Requests answered with the codec's error because their body was oversize or malformed "
        + "(the connection carried on).", "listener", listener);
    readPauses = stats.counter("protean_listener_read_pauses_total",
        "Times reading from a downstream connection paused: its answers were not read (write "
        + "buffer over its high-water mark) or it had max_pending_requests_per_connection.",
        "listener", listener);
    requestReadTimeouts = stats.counter("protean_listener_request_read_timeouts_total",
        "Downstream connections closed because a request was not complete within "
        + "request_read_timeout.", "listener", listener);
    bufferOverflows = stats.counter("protean_listener_buffer_overflows_total",
        "Downstream connections closed because their incomplete request took the proxy past "
        + "max_buffered_request_bytes.", "listener", listener);
    latency = stats.latency("protean_listener_request_duration_seconds",
        "Time from request decoded to response written downstream.", "listener", listener);
    for (ErrorType e : ErrorType.values()) {
      localReplies.put(e, stats.counter("protean_listener_local_replies_total",
          "Requests answered by the proxy itself, by reason.", "listener", listener,
          "reason", e.name().toLowerCase(java.util.Locale.ROOT)));
    }
  }

  /** Counts a response sent downstream with the codec's status name. */
  public void response(String status) {
    Stats.Counter c = responses.get(status);
    if (c == null) {
      c = responses.computeIfAbsent(status, s -> stats.counter("protean_listener_responses_total",
          "Responses sent downstream, by protocol status.", "listener", listener, "status", s));
    }
    c.inc();
  }

  public void localReply(ErrorType error) {
    localReplies.get(error).inc();
  }
}
