package io.llmgateway.filter;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

import io.llmgateway.observation.LlmObservationContext;
import io.llmgateway.observation.LlmObservationDocumentation;
import io.llmgateway.provider.ProviderAdapter;
import io.llmgateway.stream.FrameDecoder;
import io.llmgateway.stream.Inflating;
import io.llmgateway.stream.NdjsonDecoder;
import io.llmgateway.stream.SseDecoder;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;

/**
 * Passes an LLM response body to the client chunk by chunk while a {@link ResponseTap} reads
 * it. Both write paths are covered: {@code writeWith} for plain bodies and
 * {@code writeAndFlushWith}, which Spring Cloud Gateway uses for streaming media types (and
 * which this decorator writes chunk by chunk through {@code writeWith}).
 */
final class LlmResponseDecorator extends ServerHttpResponseDecorator {

	private static final String IDLE_TIMEOUT_HANDLER = "llmGatewayIdleTimeout";

	private static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");

	private static final MediaType JSONL = MediaType.parseMediaType("application/jsonl");

	private final ProviderAdapter adapter;

	private final LlmObservationContext context;

	private final Observation observation;

	private final BodyLimits limits;

	private final Supplier<Connection> upstreamConnection;

	private final AtomicBoolean tapDone = new AtomicBoolean();

	private volatile ResponseTap tap;

	LlmResponseDecorator(ServerHttpResponse delegate, ProviderAdapter adapter, LlmObservationContext context,
			Observation observation, BodyLimits limits, Supplier<Connection> upstreamConnection) {
		super(delegate);
		this.upstreamConnection = upstreamConnection;
		this.adapter = adapter;
		this.context = context;
		this.observation = observation;
		this.limits = limits;
	}

	@Override
	public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
		ResponseTap tap = openTap();
		watchIdleTime();
		// One operator of the gateway's own, not map, filter, concatWith and three doOn...: the
		// hops between operators were most of the work on a small body. (Nor handle, around
		// every signal of which Reactor restores the thread locals.)
		return super.writeWith(new TappedBody(body, new Tapping(tap)));
	}

	/**
	 * Streams are written chunk by chunk through {@link #writeWith}, not as groups. A group is a
	 * publisher holding a buffer; when a client leaves while groups wait in the write queue
	 * (a slow reader), they are dropped unsubscribed and their buffers never released. Flattened
	 * here, a waiting buffer sits in a queue whose discarded items are released. The server still
	 * flushes each chunk as it goes out, since the next one is not there yet.
	 */
	@Override
	public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
		return writeWith(Flux.<Publisher<? extends DataBuffer>>from(body)
			.flatMap(chunk -> chunk, 1)
			// Only for the queue above: the tap downstream owns what it is handed.
			.doOnDiscard(DataBuffer.class, DataBufferUtils::release));
	}

	/**
	 * Bounds the silence between two chunks of the upstream body. The timer sits on the upstream
	 * connection itself, so a timeout surfaces as an error of the body with Netty releasing what it
	 * holds; an operator-level timeout could race an arriving chunk and drop it unreleased.
	 */
	private void watchIdleTime() {
		Connection connection = this.upstreamConnection.get();
		if (connection != null) {
			connection.addHandlerLast(IDLE_TIMEOUT_HANDLER,
					new ReadTimeoutHandler(this.limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
		}
	}

	/** Ends the tap if the body never finished (called once the call is over). */
	void close() {
		ResponseTap current = this.tap;
		if (current != null && this.tapDone.compareAndSet(false, true)) {
			current.onAbort();
		}
	}

	/** Hands a buffer to the tap; returns what goes on to the client, or {@code null}. */
	private DataBuffer forward(ResponseTap tap, DataBuffer buffer) {
		DataBuffer out;
		try {
			out = tap.onBuffer(buffer);
		}
		catch (RuntimeException ex) {
			// A tap throws, if at all, before it takes the buffer over (see ResponseTap), so the
			// buffer is still whole and still the client's.
			this.context.response().errorType("invalid_response");
			out = buffer;
		}
		if (out != null) {
			this.context.addBytesOut(out.readableByteCount());
		}
		return out;
	}

	private DataBuffer complete(ResponseTap tap) {
		if (!this.tapDone.compareAndSet(false, true)) {
			return null;
		}
		DataBuffer tail = tap.onComplete();
		if (tail != null) {
			this.context.addBytesOut(tail.readableByteCount());
		}
		return tail;
	}

	private void abort(Throwable error) {
		this.context.failure(Failures.errorType(error));
		close();
	}

	/**
	 * The body stopped being read before it ended: the write to the client failed or was
	 * cancelled, which means the client went away. (The gateway's own timeout arrives as an
	 * error instead.)
	 */
	private void cancelled() {
		this.context.failure(Failures.CLIENT_CANCELLED);
		close();
	}

	private ResponseTap openTap() {
		HttpHeaders headers = getHeaders();
		HttpStatusCode statusCode = getStatusCode();
		int status = (statusCode != null) ? statusCode.value() : 200;
		this.context.status(status);
		MediaType contentType = contentType(headers);
		boolean sse = contentType != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(contentType);
		boolean ndjson = contentType != null
				&& (NDJSON.isCompatibleWith(contentType) || JSONL.isCompatibleWith(contentType));
		if (sse || ndjson) {
			this.context.streamOpened();
			this.observation.event(LlmObservationDocumentation.Events.STREAM_OPENED);
		}
		Inflating inflating;
		try {
			inflating = Inflating.forEncoding(headers.getFirst(HttpHeaders.CONTENT_ENCODING));
		}
		catch (IllegalArgumentException ex) {
			this.context.response().outputUnknown();
			return publish(new OpaqueTap());
		}
		if (sse || ndjson) {
			FrameDecoder decoder = sse ? new SseDecoder(this.limits.maxFrameBytes())
					: new NdjsonDecoder(this.limits.maxFrameBytes());
			FrameReader reader = new FrameReader(decoder, inflating, this.adapter.streamHandler(
					this.context.request(), this.context.response(), this.context.isUsageInjected()),
					this.context.response());
			// Frames can only be cut out of bytes the gateway can read as they are.
			boolean aligned = this.context.isUsageInjected() && inflating == null;
			return publish(new StreamTap(reader, bufferFactory(), aligned));
		}
		return publish(new WholeBodyTap(this.adapter, this.context.request(), this.context.response(), status,
				this.limits.maxResponseBytes(), inflating, (inflating == null) ? headers.getContentLength() : -1));
	}

	private ResponseTap publish(ResponseTap tap) {
		this.tap = tap;
		return tap;
	}

	private static MediaType contentType(HttpHeaders headers) {
		try {
			return headers.getContentType();
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/** The decorator's side of {@link TappedBody}: one body through one tap. */
	private final class Tapping implements TappedBody.Listener {

		private final ResponseTap tap;

		Tapping(ResponseTap tap) {
			this.tap = tap;
		}

		@Override
		public DataBuffer onNext(DataBuffer buffer) {
			return forward(this.tap, buffer);
		}

		@Override
		public DataBuffer onComplete() {
			return complete(this.tap);
		}

		@Override
		public void onError(Throwable error) {
			abort(error);
		}

		@Override
		public void onCancel() {
			cancelled();
		}

	}

	/** Size and time limits of response reading. */
	record BodyLimits(int maxResponseBytes, int maxFrameBytes, Duration idleTimeout) {
	}

	/** A body the gateway cannot read at all: it is only passed on. */
	private static final class OpaqueTap implements ResponseTap {

		@Override
		public DataBuffer onBuffer(DataBuffer buffer) {
			return buffer;
		}

		@Override
		public DataBuffer onComplete() {
			return null;
		}

		@Override
		public void onAbort() {
		}

	}

}
