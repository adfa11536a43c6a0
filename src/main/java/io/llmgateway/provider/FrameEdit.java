package io.llmgateway.provider;

/**
 * What to do with one streamed frame on its way to the client. Only the gateway's own doing is
 * ever undone: a usage chunk the client did not ask for, or the {@code "usage":null} member a
 * provider adds to every chunk once usage is asked for.
 *
 * @param drop whether the whole frame is kept from the client
 * @param remove text that occurs verbatim in the frame and is cut from it, or {@code null}
 */
public record FrameEdit(boolean drop, String remove) {

	/** Send the frame on as it came. */
	public static final FrameEdit KEEP = new FrameEdit(false, null);

	/** Keep the frame from the client. */
	public static final FrameEdit DROP = new FrameEdit(true, null);

	/** Cut the given text out of the frame. */
	public static FrameEdit removing(String text) {
		return new FrameEdit(false, text);
	}

}
