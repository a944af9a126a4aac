/**
 * The native Apache Dubbo codec (the "dubbo" protocol with hessian2 serialization).
 *
 * <p>Specs: the Dubbo protocol header
 * (<a href="https://dubbo.apache.org/en/blog/2018/10/05/introduction-to-the-dubbo-protocol/">dubbo
 * protocol</a>) and <a href="http://hessian.caucho.com/doc/hessian-serialization.html">Hessian 2.0
 * serialization</a>. Only what routing needs is parsed: the request's service path, version and
 * method, and its attachments; arguments are skipped, never materialised; response bodies are not
 * read at all. Frames are forwarded as their original bytes with the request id patched in place.
 */
package io.protean.proxy.codec.dubbo;
