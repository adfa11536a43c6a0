package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Splits a byte stream into lines as bytes arrive, whatever the chunking: a line may end with
 * LF, CR or CRLF, and a CRLF split across two chunks is still one line ending. Only the
 * unfinished tail of the current line is kept, up to a cap; bytes are turned into text by the
 * caller once a line is whole, so a multi-byte UTF-8 character split across chunks is safe.
 */
public final class LineDecoder {

	/** Receives each complete line. */
	@FunctionalInterface
	public interface LineHandler {

		/**
		 * A complete line, without its terminator.
		 * @param bytes buffer holding the line; valid only during this call
		 * @param length number of bytes of the line in {@code bytes}
		 * @param endPosition stream position just after the line's terminator
		 */
		void onLine(byte[] bytes, int length, long endPosition);

	}

	private final int maxLineBytes;

	private byte[] line = new byte[256];

	private int length;

	private boolean lastWasCarriageReturn;

	private boolean overflowed;

	private long position;

	public LineDecoder(int maxLineBytes) {
		this.maxLineBytes = maxLineBytes;
	}

	/**
	 * Feeds the remaining bytes of {@code input} (its position is advanced to its limit).
	 * @return {@code false} once a line grew past the cap; further input is then ignored
	 */
	public boolean feed(ByteBuffer input, LineHandler handler) {
		if (this.overflowed) {
			this.position += input.remaining();
			input.position(input.limit());
			return false;
		}
		while (input.hasRemaining()) {
			byte b = input.get();
			this.position++;
			if (b == '\n') {
				if (this.lastWasCarriageReturn) {
					this.lastWasCarriageReturn = false;
					continue;
				}
				emit(handler);
			}
			else if (b == '\r') {
				this.lastWasCarriageReturn = true;
				emit(handler);
			}
			else {
				this.lastWasCarriageReturn = false;
				if (!append(b)) {
					this.position += input.remaining();
					input.position(input.limit());
					return false;
				}
			}
		}
		return true;
	}

	/** Bytes consumed so far. */
	public long position() {
		return this.position;
	}

	/** Whether an unterminated line is pending. */
	public boolean hasPartialLine() {
		return this.length > 0;
	}

	public boolean isOverflowed() {
		return this.overflowed;
	}

	private void emit(LineHandler handler) {
		int len = this.length;
		this.length = 0;
		handler.onLine(this.line, len, this.position);
	}

	private boolean append(byte b) {
		if (this.length == this.line.length) {
			if (this.length >= this.maxLineBytes) {
				this.overflowed = true;
				this.line = new byte[0];
				this.length = 0;
				return false;
			}
			this.line = Arrays.copyOf(this.line, Math.min(this.maxLineBytes, this.line.length * 2));
		}
		this.line[this.length++] = b;
		return true;
	}

}
