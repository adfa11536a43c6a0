package io.llmgateway.stream;

import java.nio.ByteBuffer;

/**
 * Incremental, bounded decoder of a framed response stream. Implementations keep only the
 * unfinished tail of a frame and never the whole body.
 */
public interface FrameDecoder {

	/** Receives frames as they complete. */
	@FunctionalInterface
	interface FrameHandler {

		void onFrame(Frame frame);

	}

	/**
	 * Feeds the remaining bytes of {@code input}, calling {@code handler} for every frame that
	 * completes. A frame over the size cap stops decoding for good.
	 * @return {@code false} once decoding has stopped because of an oversized frame
	 */
	boolean feed(ByteBuffer input, FrameHandler handler);

	/** Signals the end of the stream; a frame left unterminated may still be delivered. */
	void finish(FrameHandler handler);

	/** Stream position just after the last complete frame. */
	long lastFrameEnd();

	/** Whether decoding stopped on an oversized frame. */
	boolean isOverflowed();

}
