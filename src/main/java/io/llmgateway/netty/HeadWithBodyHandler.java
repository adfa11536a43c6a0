package io.llmgateway.netty;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import reactor.netty.ChannelPipelineConfigurer;
import reactor.netty.NettyPipeline;

/**
 * Lets the head of an HTTP/1.1 message leave in the same system call as the start of its body.
 *
 * <p>Reactor Netty writes a message whose body comes as a stream in two steps: it writes and
 * flushes the head, and only once that write is done does it subscribe to the body. Both bodies a
 * gateway proxies come as streams (Spring Cloud Gateway hands the request body to the client as a
 * {@code Flux}, and Spring writes a response body through a {@code Flux} unless it is a
 * {@code Mono}), so every proxied call made four sends where two carry the same bytes; on
 * loopback one send costs tens of microseconds.
 *
 * <p>This handler sits just after the HTTP codec. It passes a head on to the codec, reports the
 * head's write as done at once, and holds the flush that follows it until the next flush or until
 * the event loop runs its queued tasks, whichever comes first. A body that is already there is
 * then written in the same task, and its flush sends head and body with one {@code writev}: the
 * case for a call whose two connections share an event loop (always with one loop; a pooled
 * connection may belong to another). A body that is not there yet (a client still sending it, or
 * a connection on another loop) leaves the head to go out when the loop has handled the I/O it is
 * busy with, within the same turn of the loop. A head that cannot be written closes its connection.
 *
 * <p>Towards providers, a head that opens the first call after the connection sat idle goes out
 * alone, as before. That is where a pooled connection may meet the provider closing it for
 * idleness; sent alone, the head finds out (on loopback, before the body is written), and Reactor
 * Netty then reports the connection closed while the request was being sent, which proves the
 * provider got nothing and lets {@code UpstreamResendFilter} send it again. Sent with its body, the
 * whole request would count as sent and the call would fail with a 502.
 */
public final class HeadWithBodyHandler extends ChannelDuplexHandler {

	/** Name of the handler in the channel pipeline. */
	public static final String NAME = "llmgw.headWithBody";

	/**
	 * Idle time after which a connection towards a provider sends its next head alone: far below
	 * the keep-alive timeouts that close idle connections (Node's 5 s, nginx's 75 s), far above the
	 * gaps between calls on a busy connection.
	 */
	public static final Duration PROVIDER_IDLE_PROBE = Duration.ofMillis(100);

	/** A head written after this much idle time (nanoseconds) is not held back. */
	private final long holdWithinIdleNanos;

	/** When the connection last connected, read or wrote (System.nanoTime). */
	private long lastActivity;

	/** A flush was held after a head and no flush has gone through since. */
	private boolean flushHeld;

	/** The head just written has not been followed by another write yet. */
	private boolean headLast;

	private boolean releaseScheduled;

	private ChannelHandlerContext context;

	/** Ends a held flush at the end of the task that held it; one per channel, not one per call. */
	private final Runnable releaseHeldFlush = this::releaseHeldFlush;

	HeadWithBodyHandler(Duration holdWithinIdle) {
		this.holdWithinIdleNanos = holdWithinIdle.toNanos();
	}

	/**
	 * A configurer for {@code doOnChannelInit} of a Reactor Netty HTTP server: every head is held
	 * for its body. It leaves a pipeline without an HTTP/1.1 codec (HTTP/2) as it is.
	 * @return a configurer that adds a new handler after the HTTP/1.1 codec of each channel
	 */
	public static ChannelPipelineConfigurer serverConfigurer() {
		return configurer(Duration.ofNanos(Long.MAX_VALUE));
	}

	/**
	 * A configurer for {@code doOnChannelInit} of a Reactor Netty HTTP client towards providers:
	 * a head after {@link #PROVIDER_IDLE_PROBE} of idle time goes out alone.
	 * @return a configurer that adds a new handler after the HTTP/1.1 codec of each channel
	 */
	public static ChannelPipelineConfigurer providerConfigurer() {
		return configurer(PROVIDER_IDLE_PROBE);
	}

	static ChannelPipelineConfigurer configurer(Duration holdWithinIdle) {
		return (observer, channel, remoteAddress) -> install(channel.pipeline(), holdWithinIdle);
	}

	static void install(ChannelPipeline pipeline, Duration holdWithinIdle) {
		if (pipeline.get(NettyPipeline.HttpCodec) != null && pipeline.get(NAME) == null) {
			pipeline.addAfter(NettyPipeline.HttpCodec, NAME, new HeadWithBodyHandler(holdWithinIdle));
		}
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.context = ctx;
		this.lastActivity = System.nanoTime();
	}

	@Override
	public void channelActive(ChannelHandlerContext ctx) {
		// Connecting is activity: a new connection's first head is held for its body.
		this.lastActivity = System.nanoTime();
		ctx.fireChannelActive();
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		this.lastActivity = System.nanoTime();
		ctx.fireChannelRead(msg);
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		long now = System.nanoTime();
		boolean idle = now - this.lastActivity > this.holdWithinIdleNanos;
		this.lastActivity = now;
		if (msg instanceof HttpMessage && !(msg instanceof FullHttpMessage) && !promise.isVoid() && !idle) {
			// A head that cannot be written closes the connection, and Reactor Netty reports the
			// call as it reports any connection closed while the request was being sent (which is
			// what tells a resend that the upstream got nothing). Failing the pipeline instead, with
			// a void promise, would hand it a bare I/O error.
			ctx.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
			this.headLast = true;
			promise.setSuccess();
			return;
		}
		this.headLast = false;
		ctx.write(msg, promise);
	}

	@Override
	public void flush(ChannelHandlerContext ctx) {
		if (this.headLast) {
			this.flushHeld = true;
			if (!this.releaseScheduled) {
				try {
					ctx.executor().execute(this.releaseHeldFlush);
					this.releaseScheduled = true;
				}
				catch (RejectedExecutionException ex) {
					// The event loop is shutting down: nothing will run later, so flush now.
					flushHeldNow(ctx);
				}
			}
			return;
		}
		this.flushHeld = false;
		ctx.flush();
	}

	private void releaseHeldFlush() {
		this.releaseScheduled = false;
		flushHeldNow(this.context);
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		flushHeldNow(ctx);
	}

	@Override
	public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
		flushHeldNow(ctx);
		ctx.close(promise);
	}

	@Override
	public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
		flushHeldNow(ctx);
		ctx.disconnect(promise);
	}

	private void flushHeldNow(ChannelHandlerContext ctx) {
		this.headLast = false;
		if (this.flushHeld) {
			this.flushHeld = false;
			ctx.flush();
		}
	}

}
