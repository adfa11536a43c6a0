package io.llmgateway.usage;

import java.util.Locale;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Estimates token counts with a BPE tokenizer when the provider reports none. The encoding
 * follows the model family: {@code o200k_base} for the GPT-4o generation and later,
 * {@code cl100k_base} for everything else (an approximation for non-OpenAI models).
 */
public final class TokenEstimator {

	/** Tokens OpenAI adds per chat message for its role and separators. */
	private static final int TOKENS_PER_MESSAGE = 3;

	/** Tokens that prime every chat reply. */
	private static final int TOKENS_PER_REPLY = 3;

	private final Encoding o200k;

	private final Encoding cl100k;

	public TokenEstimator() {
		EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
		this.o200k = registry.getEncoding(EncodingType.O200K_BASE);
		this.cl100k = registry.getEncoding(EncodingType.CL100K_BASE);
	}

	/** Tokens of a piece of text for the given model. */
	public int count(String model, CharSequence text) {
		if (text == null || text.isEmpty()) {
			return 0;
		}
		return encodingFor(model).countTokensOrdinary(text.toString());
	}

	/** Tokens of a chat prompt: its text plus the per-message framing. */
	public int countChatInput(String model, CharSequence text, int messages) {
		return count(model, text) + messages * TOKENS_PER_MESSAGE + ((messages > 0) ? TOKENS_PER_REPLY : 0);
	}

	Encoding encodingFor(String model) {
		if (model == null) {
			return this.cl100k;
		}
		String m = model.toLowerCase(Locale.ROOT);
		int slash = m.lastIndexOf('/');
		if (slash >= 0) {
			m = m.substring(slash + 1);
		}
		if (m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5") || m.startsWith("gpt-5")
				|| m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("chatgpt-4o")
				|| m.startsWith("gpt-oss")) {
			return this.o200k;
		}
		return this.cl100k;
	}

}
