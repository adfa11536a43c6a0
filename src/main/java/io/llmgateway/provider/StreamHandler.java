package io.llmgateway.provider;

import io.llmgateway.stream.Frame;

/**
 * Reads the frames of one streamed response into its {@link LlmResponse}.
 */
@FunctionalInterface
public interface StreamHandler {

	/**
	 * Handles one frame.
	 * @return what to do with the frame; anything but {@link FrameEdit#KEEP} only to undo what
	 * the gateway itself caused
	 */
	FrameEdit onFrame(Frame frame);

}
