package io.llmgateway.netty;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

import reactor.netty.channel.ChannelMetricsRecorder;
import reactor.netty.http.HttpMetricsRecorder;

/**
 * Forwards the connection-level and HTTP byte metrics that Reactor Netty's server and client
 * recorders have in common. Every method is forwarded, defaults included, so that whatever the
 * delegate overrides keeps working.
 *
 * @param <R> the recorder forwarded to
 */
abstract class ForwardingHttpMetricsRecorder<R extends HttpMetricsRecorder> implements HttpMetricsRecorder {

	/** The recorder every call goes to. */
	protected final R delegate;

	ForwardingHttpMetricsRecorder(R delegate) {
		this.delegate = delegate;
	}

	/**
	 * The recorder Reactor Netty configures for {@code metrics(true, ...)}: its Micrometer one.
	 * @param configured the recorder supplier of a server or client configured that way
	 * @param type the recorder interface expected
	 * @return the recorder
	 * @throws IllegalStateException if there is none (no Micrometer on the classpath)
	 */
	static <T extends HttpMetricsRecorder> T builtIn(Supplier<? extends ChannelMetricsRecorder> configured,
			Class<T> type) {
		ChannelMetricsRecorder recorder = (configured != null) ? configured.get() : null;
		if (!type.isInstance(recorder)) {
			throw new IllegalStateException("Reactor Netty has no Micrometer " + type.getSimpleName());
		}
		return type.cast(recorder);
	}

	@Override
	public void recordDataReceived(SocketAddress remoteAddress, String uri, long bytes) {
		this.delegate.recordDataReceived(remoteAddress, uri, bytes);
	}

	@Override
	public void recordDataSent(SocketAddress remoteAddress, String uri, long bytes) {
		this.delegate.recordDataSent(remoteAddress, uri, bytes);
	}

	@Override
	public void incrementErrorsCount(SocketAddress remoteAddress, String uri) {
		this.delegate.incrementErrorsCount(remoteAddress, uri);
	}

	@Override
	public void recordDataReceived(SocketAddress remoteAddress, long bytes) {
		this.delegate.recordDataReceived(remoteAddress, bytes);
	}

	@Override
	public void recordDataReceived(SocketAddress remoteAddress, SocketAddress proxyAddress, long bytes) {
		this.delegate.recordDataReceived(remoteAddress, proxyAddress, bytes);
	}

	@Override
	public void recordDataSent(SocketAddress remoteAddress, long bytes) {
		this.delegate.recordDataSent(remoteAddress, bytes);
	}

	@Override
	public void recordDataSent(SocketAddress remoteAddress, SocketAddress proxyAddress, long bytes) {
		this.delegate.recordDataSent(remoteAddress, proxyAddress, bytes);
	}

	@Override
	public void incrementErrorsCount(SocketAddress remoteAddress) {
		this.delegate.incrementErrorsCount(remoteAddress);
	}

	@Override
	public void incrementErrorsCount(SocketAddress remoteAddress, SocketAddress proxyAddress) {
		this.delegate.incrementErrorsCount(remoteAddress, proxyAddress);
	}

	@Override
	public void recordTlsHandshakeTime(SocketAddress remoteAddress, Duration time, String status) {
		this.delegate.recordTlsHandshakeTime(remoteAddress, time, status);
	}

	@Override
	public void recordTlsHandshakeTime(SocketAddress remoteAddress, SocketAddress proxyAddress, Duration time,
			String status) {
		this.delegate.recordTlsHandshakeTime(remoteAddress, proxyAddress, time, status);
	}

	@Override
	public void recordConnectTime(SocketAddress remoteAddress, Duration time, String status) {
		this.delegate.recordConnectTime(remoteAddress, time, status);
	}

	@Override
	public void recordConnectTime(SocketAddress remoteAddress, SocketAddress proxyAddress, Duration time,
			String status) {
		this.delegate.recordConnectTime(remoteAddress, proxyAddress, time, status);
	}

	@Override
	public void recordResolveAddressTime(SocketAddress remoteAddress, Duration time, String status) {
		this.delegate.recordResolveAddressTime(remoteAddress, time, status);
	}

	@Override
	public void recordServerConnectionOpened(SocketAddress localAddress) {
		this.delegate.recordServerConnectionOpened(localAddress);
	}

	@Override
	public void recordServerConnectionClosed(SocketAddress localAddress) {
		this.delegate.recordServerConnectionClosed(localAddress);
	}

}
