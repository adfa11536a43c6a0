package io.llmgateway.filter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 upstream on a raw socket, for the misbehaviour no real server library will
 * produce on purpose: a body cut short, a lying Content-Length, a reset mid-stream, garbage. A
 * request picks its script with the {@code x-script} header; every connection serves one
 * request and then runs the script, which decides how the connection ends.
 */
final class ScriptedUpstream implements AutoCloseable {

	/** What the upstream does once it has read a request. */
	@FunctionalInterface
	interface Script {

		void respond(Socket socket, OutputStream out, Request request) throws Exception;

	}

	record Request(String head, byte[] body) {

		String header(String name) {
			for (String line : this.head.split("\r\n")) {
				int colon = line.indexOf(':');
				if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
					return line.substring(colon + 1).trim();
				}
			}
			return null;
		}

	}

	private final ServerSocket server;

	private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
		Thread thread = new Thread(runnable, "scripted-upstream");
		thread.setDaemon(true);
		return thread;
	});

	private final Map<String, Script> scripts = new ConcurrentHashMap<>();

	private final Map<String, Request> lastRequests = new ConcurrentHashMap<>();

	/** Connections whose client closed them before the script finished. */
	final AtomicInteger clientGone = new AtomicInteger();

	ScriptedUpstream() {
		try {
			this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		this.threads.execute(this::accept);
	}

	int port() {
		return this.server.getLocalPort();
	}

	void script(String name, Script script) {
		this.scripts.put(name, script);
	}

	/** The last request that ran the script, or {@code null}. */
	Request lastRequest(String script) {
		return this.lastRequests.get(script);
	}

	@Override
	public void close() throws IOException {
		this.server.close();
		this.threads.shutdownNow();
	}

	private void accept() {
		while (!this.server.isClosed()) {
			try {
				Socket socket = this.server.accept();
				this.threads.execute(() -> serve(socket));
			}
			catch (IOException ex) {
				return;
			}
		}
	}

	private void serve(Socket socket) {
		try (socket) {
			InputStream in = socket.getInputStream();
			Request request = read(in);
			if (request == null) {
				return;
			}
			String name = request.header("x-script");
			Script script = (name != null) ? this.scripts.get(name) : null;
			OutputStream out = socket.getOutputStream();
			if (script == null) {
				write(out, response(404, "text/plain", "no script " + name));
				return;
			}
			this.lastRequests.put(name, request);
			script.respond(socket, out, request);
		}
		catch (SocketException ex) {
			this.clientGone.incrementAndGet();
		}
		catch (Exception ex) {
			// The script's own business; the connection is closed either way.
		}
	}

	private static Request read(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				return null;
			}
			head.write(b);
			matched = (b == end[matched]) ? matched + 1 : ((b == '\r') ? 1 : 0);
		}
		Request headOnly = new Request(head.toString(StandardCharsets.ISO_8859_1), new byte[0]);
		String length = headOnly.header("Content-Length");
		String encoding = headOnly.header("Transfer-Encoding");
		byte[] body;
		if (length != null) {
			body = in.readNBytes(Integer.parseInt(length));
		}
		else if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
			body = readChunked(in);
		}
		else {
			body = new byte[0];
		}
		return new Request(headOnly.head(), body);
	}

	private static byte[] readChunked(InputStream in) throws IOException {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		while (true) {
			String size = readLine(in);
			int n = Integer.parseInt(size.split(";")[0].trim(), 16);
			if (n == 0) {
				readLine(in);
				return body.toByteArray();
			}
			body.write(in.readNBytes(n));
			readLine(in);
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		int b;
		while ((b = in.read()) >= 0 && b != '\n') {
			if (b != '\r') {
				line.append((char) b);
			}
		}
		return line.toString();
	}

	// Helpers for scripts.

	/** A whole response that ends the connection afterwards. */
	static byte[] response(int status, String contentType, String body) {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		return concat(head(status, contentType, "Content-Length: " + bytes.length + "\r\nConnection: close"), bytes);
	}

	static byte[] head(int status, String contentType, String extraHeaders) {
		return ("HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType + "\r\n"
				+ ((extraHeaders != null) ? extraHeaders + "\r\n" : "") + "\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
	}

	static byte[] chunk(byte[] data) {
		return concat(concat((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII), data),
				"\r\n".getBytes(StandardCharsets.US_ASCII));
	}

	static byte[] chunk(String data) {
		return chunk(data.getBytes(StandardCharsets.UTF_8));
	}

	static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	static void write(OutputStream out, byte[] bytes) throws IOException {
		out.write(bytes);
		out.flush();
	}

	/** Ends the connection with a TCP reset rather than an orderly close. */
	static void reset(Socket socket) throws IOException {
		socket.setSoLinger(true, 0);
		socket.close();
	}

	static byte[] concat(byte[] a, byte[] b) {
		byte[] both = new byte[a.length + b.length];
		System.arraycopy(a, 0, both, 0, a.length);
		System.arraycopy(b, 0, both, a.length, b.length);
		return both;
	}

}
