package io.protean.proxy.codec;

import io.protean.abi.codec.Frame;

/**
 * What a {@link FrameDecoder} that answers rejections emits for a request its codec could read
 * the header of but not pass on ({@link io.protean.abi.codec.RejectedRequestException}): the
 * receiver answers it with the codec's error reply and owns {@code request}.
 */
public record RejectedRequest(Frame request, String reason) {}
