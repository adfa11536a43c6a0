package io.llmgateway.filter;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * Watches one response body on its way to the client. It owns every buffer it is handed: it
 * returns the same buffer, a replacement (releasing the original), or nothing (releasing it).
 * It never throws once it has taken a buffer over: a body it cannot read becomes a fact on the
 * response, never a failed call or lost bytes.
 */
interface ResponseTap {

	/** Handles one chunk; returns what to send on, or {@code null} to send nothing now. */
	DataBuffer onBuffer(DataBuffer buffer);

	/** The body ended; returns bytes still held back, or {@code null}. */
	DataBuffer onComplete();

	/** The body stopped early (error or cancel): releases what is held and reads what was seen. */
	void onAbort();

}
