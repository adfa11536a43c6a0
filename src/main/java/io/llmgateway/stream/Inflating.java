package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Incremental decompression of a {@code gzip} or {@code deflate} body, so that the decoders
 * read text while the client still receives the encoded bytes untouched. Output is handed on in
 * small slices of a reused buffer as input arrives; nothing of the body is kept.
 */
public final class Inflating {

	private static final int FHCRC = 2;

	private static final int FEXTRA = 4;

	private static final int FNAME = 8;

	private static final int FCOMMENT = 16;

	private final Inflater inflater;

	private final boolean gzip;

	private final ByteBuffer out = ByteBuffer.allocate(8192);

	private final GzipHeader header;

	private boolean failed;

	private Inflating(boolean gzip) {
		this.gzip = gzip;
		this.inflater = new Inflater(gzip);
		this.header = gzip ? new GzipHeader() : null;
	}

	/**
	 * An inflater for the given {@code Content-Encoding}, or {@code null} when the body is not
	 * encoded ({@code identity} or absent).
	 * @throws IllegalArgumentException for an encoding that cannot be decoded here
	 */
	public static Inflating forEncoding(String contentEncoding) {
		if (contentEncoding == null) {
			return null;
		}
		String encoding = contentEncoding.trim().toLowerCase(Locale.ROOT);
		return switch (encoding) {
			case "", "identity" -> null;
			case "gzip", "x-gzip" -> new Inflating(true);
			case "deflate" -> new Inflating(false);
			default -> throw new IllegalArgumentException("Unsupported content encoding: " + contentEncoding);
		};
	}

	/**
	 * Inflates the remaining bytes of {@code input}, handing each piece of output to
	 * {@code sink} (the buffer is only valid during the call).
	 * @return {@code false} once the data proved not to be in the declared encoding
	 */
	public boolean feed(ByteBuffer input, Consumer<ByteBuffer> sink) {
		if (this.failed) {
			input.position(input.limit());
			return false;
		}
		if (this.gzip && !this.header.complete()) {
			if (!this.header.consume(input)) {
				this.failed = true;
				return false;
			}
			if (!this.header.complete()) {
				return true;
			}
		}
		if (!input.hasRemaining() || this.inflater.finished()) {
			input.position(input.limit());
			return true;
		}
		this.inflater.setInput(input);
		try {
			while (!this.inflater.finished() && !this.inflater.needsInput()) {
				this.out.clear();
				int n = this.inflater.inflate(this.out);
				if (n == 0 && this.inflater.needsDictionary()) {
					this.failed = true;
					return false;
				}
				if (n > 0) {
					this.out.flip();
					sink.accept(this.out);
				}
			}
		}
		catch (DataFormatException ex) {
			this.failed = true;
			return false;
		}
		// The trailer (CRC and size) after a finished gzip member is not needed.
		input.position(input.limit());
		return true;
	}

	/** Frees the native inflater; call once the body is done. */
	public void close() {
		this.inflater.end();
	}

	/** The gzip member header (RFC 1952), read byte by byte as it arrives. */
	private static final class GzipHeader {

		private int fixedRead;

		private int flags;

		private int extraRemaining = -1;

		private int extraLengthBytes;

		private int extraLength;

		private boolean nameDone;

		private boolean commentDone;

		private int crcRemaining = -1;

		private boolean complete;

		boolean complete() {
			return this.complete;
		}

		/** @return {@code false} when the bytes are not a gzip header */
		boolean consume(ByteBuffer in) {
			while (in.hasRemaining() && !this.complete) {
				int b = in.get() & 0xff;
				if (this.fixedRead < 10) {
					if ((this.fixedRead == 0 && b != 0x1f) || (this.fixedRead == 1 && b != 0x8b)
							|| (this.fixedRead == 2 && b != 8)) {
						return false;
					}
					if (this.fixedRead == 3) {
						this.flags = b;
					}
					this.fixedRead++;
					if (this.fixedRead == 10) {
						this.nameDone = (this.flags & FNAME) == 0;
						this.commentDone = (this.flags & FCOMMENT) == 0;
						this.extraRemaining = ((this.flags & FEXTRA) == 0) ? 0 : -1;
						this.crcRemaining = ((this.flags & FHCRC) == 0) ? 0 : 2;
						this.complete = nothingLeft();
					}
					continue;
				}
				if (this.extraRemaining < 0 && this.extraLengthBytes < 2) {
					// XLEN, little-endian; -1 until both bytes are read.
					this.extraLength |= b << (8 * this.extraLengthBytes);
					if (++this.extraLengthBytes == 2) {
						this.extraRemaining = this.extraLength;
					}
				}
				else if (this.extraRemaining > 0) {
					this.extraRemaining--;
				}
				else if (!this.nameDone) {
					this.nameDone = b == 0;
				}
				else if (!this.commentDone) {
					this.commentDone = b == 0;
				}
				else if (this.crcRemaining > 0) {
					this.crcRemaining--;
				}
				this.complete = nothingLeft();
			}
			return true;
		}

		private boolean nothingLeft() {
			return this.extraRemaining == 0 && this.nameDone && this.commentDone && this.crcRemaining == 0;
		}

	}

}
