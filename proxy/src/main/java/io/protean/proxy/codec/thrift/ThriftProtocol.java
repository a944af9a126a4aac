package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;

/** A Thrift protocol: how a message header and its values are laid out, whatever the transport. */
sealed interface ThriftProtocol permits BinaryProtocol, CompactProtocol {

  /** TApplicationException's fields: 1 message (string), 2 type (i32). */
  short EXCEPTION_MESSAGE_FIELD = 1;
  short EXCEPTION_TYPE_FIELD = 2;

  /** The protocol's name in config and messages: binary or compact. */
  String name();

  /** Reads the message header, leaving {@code r} at the start of the message's struct. */
  ThriftMessageHeader readMessageBegin(ThriftReader r);

  /** Skips one struct (a message body), depth- and size-limited, without recursing past the limit. */
  void skipStruct(ThriftReader r);

  /**
   * Reads the header of the struct's first field (of a reply's result struct: 0 is the return
   * value, 1 and up a declared exception).
   *
   * @return the field id, or -1 when the struct is empty (a void method's result)
   */
  int firstFieldId(ThriftReader r);

  /** Reads a TApplicationException struct up to its type field; -1 when it has none. */
  int applicationExceptionType(ThriftReader r);

  /**
   * Writes an EXCEPTION message carrying a TApplicationException, as libthrift's
   * {@code TApplicationException.write} lays it out.
   */
  void writeApplicationException(ByteBuf out, String method, int seqId, int type, String message);

  /** Writes a CALL message of {@code method} with empty arguments (a health check's call). */
  void writeCall(ByteBuf out, String method, int seqId);

  /**
   * Reads the header of the first field of the struct at {@code r}: its id, or -1 when the struct
   * is empty. In a reply, field 0 is the result and fields from 1 the declared exceptions.
   */
  int readFirstFieldId(ThriftReader r);
}
