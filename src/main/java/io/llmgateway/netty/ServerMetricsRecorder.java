package io.llmgateway.netty;

import java.net.SocketAddress;
import java.time.Duration;

import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerMetricsRecorder;

/**
 * Reactor Netty's own Micrometer recorder for the gateway's server side, seen through a plain
 * {@link HttpServerMetricsRecorder}.
 * <p>
 * Reactor Netty picks its metrics handler by the recorder's class. Given its Micrometer recorder,
 * it times every request with {@code Observation}s of its own; given any other recorder, it
 * measures the same durations itself and hands them to the recorder. Forwarding every call to the
 * Micrometer recorder records the same meters, with the same names and tags, into the same
 * registry, without creating, starting and stopping Observations on each call (about 1 KB of heap
 * and about 30 objects held per call in flight).
 */
public final class ServerMetricsRecorder extends ForwardingHttpMetricsRecorder<HttpServerMetricsRecorder>
		implements HttpServerMetricsRecorder {

	ServerMetricsRecorder(HttpServerMetricsRecorder delegate) {
		super(delegate);
	}

	/**
	 * A recorder that forwards to Reactor Netty's built-in Micrometer recorder for servers.
	 * @return the recorder
	 * @throws IllegalStateException if Reactor Netty has no Micrometer recorder (no Micrometer)
	 */
	public static ServerMetricsRecorder micrometer() {
		var configured = HttpServer.create().metrics(true, uri -> uri).configuration().metricsRecorder();
		return new ServerMetricsRecorder(builtIn(configured, HttpServerMetricsRecorder.class));
	}

	@Override
	public void recordDataReceivedTime(String uri, String method, Duration time) {
		this.delegate.recordDataReceivedTime(uri, method, time);
	}

	@Override
	public void recordDataSentTime(String uri, String method, String status, Duration time) {
		this.delegate.recordDataSentTime(uri, method, status, time);
	}

	@Override
	public void recordResponseTime(String uri, String method, String status, Duration time) {
		this.delegate.recordResponseTime(uri, method, status, time);
	}

	@Override
	public void recordServerConnectionActive(SocketAddress localAddress) {
		this.delegate.recordServerConnectionActive(localAddress);
	}

	@Override
	public void recordServerConnectionInactive(SocketAddress localAddress) {
		this.delegate.recordServerConnectionInactive(localAddress);
	}

	@Override
	public void recordStreamOpened(SocketAddress localAddress) {
		this.delegate.recordStreamOpened(localAddress);
	}

	@Override
	public void recordStreamClosed(SocketAddress localAddress) {
		this.delegate.recordStreamClosed(localAddress);
	}

}
