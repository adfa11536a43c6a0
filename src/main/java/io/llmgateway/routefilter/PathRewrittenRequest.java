package io.llmgateway.routefilter;

import java.net.URI;
import java.net.URISyntaxException;

import org.springframework.http.server.RequestPath;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.util.StringUtils;

/**
 * A request with another path and everything else of the original: what
 * {@code request.mutate().path(path).build()} gives, without the copy of every header that
 * {@code mutate()} makes. The URI is built the way that builder builds it.
 */
final class PathRewrittenRequest extends ServerHttpRequestDecorator {

	private final URI uri;

	private final String contextPath;

	/** Parsed when first asked for, as the builder's request does: only then can it fail. */
	private RequestPath path;

	PathRewrittenRequest(ServerHttpRequest request, String path) {
		super(request);
		this.uri = withPath(request.getURI(), path);
		this.contextPath = request.getPath().contextPath().value();
	}

	@Override
	public URI getURI() {
		return this.uri;
	}

	@Override
	public RequestPath getPath() {
		if (this.path == null) {
			this.path = RequestPath.parse(this.uri, this.contextPath);
		}
		return this.path;
	}

	static URI withPath(URI uri, String path) {
		StringBuilder text = new StringBuilder();
		if (uri.getScheme() != null) {
			text.append(uri.getScheme()).append(':');
		}
		if (uri.getRawUserInfo() != null || uri.getHost() != null) {
			text.append("//");
			if (uri.getRawUserInfo() != null) {
				text.append(uri.getRawUserInfo()).append('@');
			}
			if (uri.getHost() != null) {
				text.append(uri.getHost());
			}
			if (uri.getPort() != -1) {
				text.append(':').append(uri.getPort());
			}
		}
		if (StringUtils.hasLength(path)) {
			text.append(path);
		}
		if (uri.getRawQuery() != null) {
			text.append('?').append(uri.getRawQuery());
		}
		if (uri.getRawFragment() != null) {
			text.append('#').append(uri.getRawFragment());
		}
		try {
			return new URI(text.toString());
		}
		catch (URISyntaxException ex) {
			throw new IllegalStateException("Invalid URI path: \"" + path + "\"", ex);
		}
	}

}
