package io.protean.proxy.codec.thrift;

/**
 * The start of a Thrift message.
 *
 * @param name        the method name as on the wire ("Service:method" when multiplexed)
 * @param type        1 call, 2 reply, 3 exception, 4 oneway
 * @param seqId       the sequence id
 * @param seqIdOffset where the seq id sits, from the frame start
 * @param varint      true when the seq id is a varint (compact), false when it is 4 big-endian
 *                    bytes (binary)
 */
record ThriftMessageHeader(String name, int type, int seqId, int seqIdOffset, boolean varint) {
  static final int CALL = 1;
  static final int REPLY = 2;
  static final int EXCEPTION = 3;
  static final int ONEWAY = 4;

  /** The type's name as in metadata: call, reply, exception or oneway. */
  static String typeName(int type) {
    return switch (type) {
      case CALL -> "call";
      case REPLY -> "reply";
      case EXCEPTION -> "exception";
      case ONEWAY -> "oneway";
      default -> throw new IllegalArgumentException("message type " + type);
    };
  }
}
