package io.llmgateway.netty;

import java.net.SocketAddress;
import java.time.Duration;

import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientMetricsRecorder;

/**
 * Reactor Netty's own Micrometer recorder for the gateway's client towards the providers, seen
 * through a plain {@link HttpClientMetricsRecorder}: the same meters without an
 * {@code Observation} per call (see {@link ServerMetricsRecorder} for why).
 */
public final class ClientMetricsRecorder extends ForwardingHttpMetricsRecorder<HttpClientMetricsRecorder>
		implements HttpClientMetricsRecorder {

	ClientMetricsRecorder(HttpClientMetricsRecorder delegate) {
		super(delegate);
	}

	/**
	 * A recorder that forwards to Reactor Netty's built-in Micrometer recorder for clients.
	 * @return the recorder
	 * @throws IllegalStateException if Reactor Netty has no Micrometer recorder (no Micrometer)
	 */
	public static ClientMetricsRecorder micrometer() {
		var configured = HttpClient.create().metrics(true, uri -> uri).configuration().metricsRecorder();
		return new ClientMetricsRecorder(builtIn(configured, HttpClientMetricsRecorder.class));
	}

	@Override
	public void recordDataReceivedTime(SocketAddress remoteAddress, String uri, String method, String status,
			Duration time) {
		this.delegate.recordDataReceivedTime(remoteAddress, uri, method, status, time);
	}

	@Override
	public void recordDataReceivedTime(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri,
			String method, String status, Duration time) {
		this.delegate.recordDataReceivedTime(remoteAddress, proxyAddress, uri, method, status, time);
	}

	@Override
	public void recordDataSentTime(SocketAddress remoteAddress, String uri, String method, Duration time) {
		this.delegate.recordDataSentTime(remoteAddress, uri, method, time);
	}

	@Override
	public void recordDataSentTime(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri,
			String method, Duration time) {
		this.delegate.recordDataSentTime(remoteAddress, proxyAddress, uri, method, time);
	}

	@Override
	public void recordResponseTime(SocketAddress remoteAddress, String uri, String method, String status,
			Duration time) {
		this.delegate.recordResponseTime(remoteAddress, uri, method, status, time);
	}

	@Override
	public void recordResponseTime(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri,
			String method, String status, Duration time) {
		this.delegate.recordResponseTime(remoteAddress, proxyAddress, uri, method, status, time);
	}

	@Override
	public void recordDataReceived(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri, long bytes) {
		this.delegate.recordDataReceived(remoteAddress, proxyAddress, uri, bytes);
	}

	@Override
	public void recordDataSent(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri, long bytes) {
		this.delegate.recordDataSent(remoteAddress, proxyAddress, uri, bytes);
	}

	@Override
	public void incrementErrorsCount(SocketAddress remoteAddress, SocketAddress proxyAddress, String uri) {
		this.delegate.incrementErrorsCount(remoteAddress, proxyAddress, uri);
	}

}
