package io.llmgateway.filter;

import java.nio.ByteBuffer;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.StreamHandler;
import io.llmgateway.stream.Frame;
import io.llmgateway.stream.FrameDecoder;
import io.llmgateway.stream.Inflating;

/**
 * Bytes to frames to facts: optional decompression, the frame decoder, then the adapter's
 * stream handler. Stops reading (never the call) on the first thing it cannot read.
 */
final class FrameReader {

	/** Receives each frame with the adapter's verdict. */
	@FunctionalInterface
	interface Verdicts {

		void onFrame(Frame frame, long frameStart, FrameEdit edit);

	}

	private final FrameDecoder decoder;

	private final Inflating inflating;

	private final StreamHandler handler;

	private final LlmResponse response;

	private boolean stopped;

	FrameReader(FrameDecoder decoder, Inflating inflating, StreamHandler handler, LlmResponse response) {
		this.decoder = decoder;
		this.inflating = inflating;
		this.handler = handler;
		this.response = response;
	}

	void read(ByteBuffer bytes, Verdicts verdicts) {
		if (this.stopped) {
			return;
		}
		try {
			if (this.inflating == null) {
				decode(bytes, verdicts);
			}
			else if (!this.inflating.feed(bytes, inflated -> decode(inflated, verdicts))) {
				stop("invalid_response");
			}
		}
		catch (RuntimeException ex) {
			stop("invalid_response");
		}
	}

	void finish() {
		if (!this.stopped) {
			try {
				this.decoder.finish(frame -> this.handler.onFrame(frame));
			}
			catch (RuntimeException ex) {
				this.response.errorType("invalid_response");
			}
		}
		if (this.inflating != null) {
			this.inflating.close();
		}
	}

	/**
	 * The upstream ended the body properly. A stream that ended without its regular end (the
	 * adapter saw no end event, e.g. OpenAI's {@code [DONE]}) and without any finish reason
	 * was cut short, or was never a stream of this API: that is an invalid response, even
	 * though the transport was fine. A finish reason is enough, as some compatible servers
	 * never send an end event.
	 */
	void end() {
		finish();
		if (!this.stopped && !this.response.isCompleted() && this.response.finishReasons().isEmpty()) {
			this.response.errorType("invalid_response");
		}
	}

	/** Position just after the last complete frame, in the decoded stream. */
	long lastFrameEnd() {
		return this.decoder.lastFrameEnd();
	}

	boolean isStopped() {
		return this.stopped;
	}

	private void decode(ByteBuffer bytes, Verdicts verdicts) {
		if (!this.decoder.feed(bytes, frame -> {
			long start = this.decoder.lastFrameEnd();
			verdicts.onFrame(frame, start, this.handler.onFrame(frame));
		})) {
			// A frame over the cap: what follows cannot be read reliably.
			stop("invalid_response");
		}
	}

	private void stop(String errorType) {
		this.stopped = true;
		this.response.errorType(errorType);
		this.response.outputUnknown();
	}

}
