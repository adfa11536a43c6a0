package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Newline-delimited JSON decoder: every non-blank line is one frame. A last line without a
 * terminator is still delivered when the stream ends.
 */
public final class NdjsonDecoder implements FrameDecoder {

	private final LineDecoder lines;

	private long lastFrameEnd;

	private boolean overflowed;

	public NdjsonDecoder(int maxFrameBytes) {
		this.lines = new LineDecoder(maxFrameBytes);
	}

	@Override
	public boolean feed(ByteBuffer input, FrameHandler handler) {
		if (!this.lines.feed(input, (bytes, length, end) -> onLine(bytes, length, end, handler))) {
			this.overflowed = true;
		}
		return !this.overflowed;
	}

	@Override
	public void finish(FrameHandler handler) {
		if (!this.overflowed) {
			this.lines.finish((bytes, length, end) -> onLine(bytes, length, end, handler));
		}
		if (!this.overflowed && this.lines.hasPartialLine()) {
			this.lines.feed(ByteBuffer.wrap(new byte[] { '\n' }),
					(bytes, length, end) -> onLine(bytes, length, end - 1, handler));
		}
	}

	@Override
	public long lastFrameEnd() {
		return this.lastFrameEnd;
	}

	@Override
	public boolean isOverflowed() {
		return this.overflowed;
	}

	private void onLine(byte[] bytes, int length, long end, FrameHandler handler) {
		this.lastFrameEnd = end;
		if (isBlank(bytes, length)) {
			return;
		}
		handler.onFrame(new Frame(null, Arrays.copyOf(bytes, length), end));
	}

	private static boolean isBlank(byte[] bytes, int length) {
		for (int i = 0; i < length; i++) {
			if (bytes[i] != ' ' && bytes[i] != '\t') {
				return false;
			}
		}
		return true;
	}

}
