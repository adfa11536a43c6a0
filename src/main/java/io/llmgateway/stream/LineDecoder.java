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

	private byte[] line;

	private int length;

	private boolean pendingCarriageReturn;

	private boolean overflowed;

	private long position;

	public LineDecoder(int maxLineBytes) {
		this.maxLineBytes = maxLineBytes;
		this.line = new byte[Math.min(256, maxLineBytes)];
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
			if (this.pendingCarriageReturn) {
				// A CR ends a line, but its LF (if any) belongs to the same terminator, so the
				// line is only handed on once the next byte shows where the terminator ends.
				this.pendingCarriageReturn = false;
				if (b == '\n') {
					emit(handler, this.position);
					continue;
				}
				emit(handler, this.position - 1);
			}
			if (b == '\n') {
				emit(handler, this.position);
			}
			else if (b == '\r') {
				this.pendingCarriageReturn = true;
			}
			else if (!append(b)) {
				this.position += input.remaining();
				input.position(input.limit());
				return false;
			}
		}
		return true;
	}

	/** Ends the stream: a line held back by a final CR is handed on. */
	public void finish(LineHandler handler) {
		if (this.pendingCarriageReturn && !this.overflowed) {
			this.pendingCarriageReturn = false;
			emit(handler, this.position);
		}
	}

	/** Whether an unterminated line is pending. */
	public boolean hasPartialLine() {
		return this.length > 0 && !this.pendingCarriageReturn;
	}

	private void emit(LineHandler handler, long end) {
		int len = this.length;
		this.length = 0;
		handler.onLine(this.line, len, end);
	}

	private boolean append(byte b) {
		if (this.length >= this.maxLineBytes) {
			this.overflowed = true;
			this.line = new byte[0];
			this.length = 0;
			return false;
		}
		if (this.length == this.line.length) {
			this.line = Arrays.copyOf(this.line, Math.min(this.maxLineBytes, this.line.length * 2));
		}
		this.line[this.length++] = b;
		return true;
	}

}
