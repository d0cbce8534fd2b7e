package org.oialr.parallel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Replicas in any processes, connected by TCP in a ring: rank {@code r} sends to rank {@code (r+1) % n} and receives
 * from rank {@code (r-1+n) % n}. {@link #connect} builds the ring.
 *
 * <p><b>All-reduce.</b> {@link #allReduceSum} of {@code length} floats takes one of two paths, the same on every
 * replica since it depends only on the length and the options:
 * <ul>
 *   <li>{@code 4 * length < Options.smallThresholdBytes}: the small path. Every replica's data is gathered (by
 *       {@link Options#smallGather()} when given, else by the ring's all-gather) and summed in rank order,
 *       {@code (((x0 + x1) + x2) + ...) + x(n-1)}, like {@link LocalCollective}.</li>
 *   <li>Otherwise the ring: the data is split into {@code n} chunks, chunk {@code c} being
 *       {@code [c*(length/n) + min(c, length%n), ...)} with {@code length/n + (c < length%n ? 1 : 0)} elements (so some
 *       are empty when {@code length < n}). A reduce-scatter of {@code n-1} steps accumulates every element of chunk
 *       {@code c} in float in the ring order starting at rank {@code c}:
 *       {@code ((x[c] + x[c+1]) + x[c+2]) + ... + x[c+n-1]}, ranks mod {@code n}. Rank {@code (c-1) mod n} then holds
 *       the finished chunk, and an all-gather of {@code n-1} steps copies its bytes unchanged to every replica.</li>
 * </ul>
 * Either way every replica ends with the same bits, and a run with the same replica count, lengths and options
 * reproduces them exactly.
 *
 * <p><b>All-gather.</b> {@link #allGather} uses {@link Options#smallGather()} when given, else passes the messages
 * around the ring in {@code n-1} steps.
 *
 * <p><b>Stats.</b> Bytes are payload bytes (the 24-byte frame headers and the handshake are not counted). A ring
 * all-reduce of {@code length} floats by rank {@code r}, with {@code size(c)} the element count of chunk {@code c}
 * (indices mod {@code n}), sends {@code 4 * (2*length - size(r+1) - size(r+2))} bytes and receives
 * {@code 4 * (2*length - size(r) - size(r+1))}, which is {@code 2*(n-1)/n * 4*length} when {@code n} divides
 * {@code length}. A ring all-gather sends every message but the successor's and receives every message but its own;
 * through {@code smallGather} a replica counts its own message as sent and the others' as received. The small
 * all-reduce counts its gather. {@code waitNanos} is the time from the start of an operation until its first bytes
 * arrive from the predecessor (for {@code smallGather}: the whole call); {@code transferNanos} is the rest.
 *
 * <p><b>Failure.</b> A peer that closes its connection (its process died, it was closed, or it failed) makes the
 * operation fail at once with a {@link CollectiveException} naming the peer's rank and address; a peer that sends
 * nothing for {@link Options#readTimeout()} makes it fail then. While waiting, a replica checks
 * {@link Options#cancelled()} and its thread's interrupt flag every 200 ms and fails with a "cancelled" exception (the
 * interrupt flag stays set). After any failure the instance is closed and unusable: connect a new ring. Every replica
 * must use the same options (threshold and whether {@code smallGather} is set), otherwise they take different paths
 * and time out.
 *
 * <p>One thread calls a replica's operations at a time; {@link #stats()} and {@link #close()} may be called from any
 * thread (closing fails a pending operation).
 */
public final class RingCollective implements Collective {

    /**
     * How a ring connects and behaves. Start from {@link #defaults()} and change what you need with the {@code with}
     * methods.
     *
     * @param connectTimeout      how long {@link RingCollective#connect} may take, after the address exchange, to link with both
     *                            neighbours
     * @param readTimeout         how long an operation waits without any bytes moving to or from a neighbour before it
     *                            gives up (the neighbour hung, or is slower than this)
     * @param smallThresholdBytes all-reduces of fewer bytes ({@code 4 * length}) take the small path (gather, then sum in
     *                            rank order); 0 sends every all-reduce around the ring
     * @param smallGather         an all-gather outside the ring, for example Spark's {@code BarrierTaskContext.allGather}:
     *                            given this replica's message it returns every replica's message indexed by rank; null
     *                            gathers over the ring
     * @param cancelled           checked while waiting: once it returns true the pending operation fails
     * @param socketBufferBytes   the send and receive buffer size of the ring's sockets
     */
    public record Options(Duration connectTimeout, Duration readTimeout, int smallThresholdBytes,
                          Function<byte[], byte[][]> smallGather, BooleanSupplier cancelled, int socketBufferBytes) {

        /** Checks that the timeouts are positive, the sizes sensible and {@code cancelled} is given. */
        public Options {
            if (connectTimeout.isNegative() || connectTimeout.isZero()) throw new IllegalArgumentException("connectTimeout must be positive, not " + connectTimeout);
            if (readTimeout.isNegative() || readTimeout.isZero()) throw new IllegalArgumentException("readTimeout must be positive, not " + readTimeout);
            if (smallThresholdBytes < 0) throw new IllegalArgumentException("smallThresholdBytes must be >= 0, not " + smallThresholdBytes);
            Objects.requireNonNull(cancelled, "cancelled (use () -> false for never)");
            if (socketBufferBytes < 1024) throw new IllegalArgumentException("socketBufferBytes must be at least 1024, not " + socketBufferBytes);
        }

        /**
         * Connect within 1 minute, wait up to 10 minutes for a peer, all-reduces under 16 KiB on the small path, gathers
         * over the ring, never cancelled, 1 MiB socket buffers.
         */
        public static Options defaults() {
            return new Options(Duration.ofMinutes(1), Duration.ofMinutes(10), 16 * 1024, null, () -> false, 1 << 20);
        }

        /** These options with another {@link #connectTimeout()}. */
        public Options withConnectTimeout(Duration timeout) {
            return new Options(timeout, readTimeout, smallThresholdBytes, smallGather, cancelled, socketBufferBytes);
        }

        /** These options with another {@link #readTimeout()}. */
        public Options withReadTimeout(Duration timeout) {
            return new Options(connectTimeout, timeout, smallThresholdBytes, smallGather, cancelled, socketBufferBytes);
        }

        /** These options with another {@link #smallThresholdBytes()}. */
        public Options withSmallThresholdBytes(int bytes) {
            return new Options(connectTimeout, readTimeout, bytes, smallGather, cancelled, socketBufferBytes);
        }

        /** These options with another {@link #smallGather()} (null: over the ring). */
        public Options withSmallGather(Function<byte[], byte[][]> gather) {
            return new Options(connectTimeout, readTimeout, smallThresholdBytes, gather, cancelled, socketBufferBytes);
        }

        /** These options with another {@link #cancelled()}. */
        public Options withCancelled(BooleanSupplier isCancelled) {
            return new Options(connectTimeout, readTimeout, smallThresholdBytes, smallGather, isCancelled, socketBufferBytes);
        }

        /** These options with another {@link #socketBufferBytes()}. */
        public Options withSocketBufferBytes(int bytes) {
            return new Options(connectTimeout, readTimeout, smallThresholdBytes, smallGather, cancelled, bytes);
        }
    }

    private static final int MAGIC = 0x4F49_4152; // "OIAR"
    private static final int VERSION = 1;
    /** magic, version, size, sender rank, receiver rank, group id */
    private static final int HELLO_BYTES = 5 * Integer.BYTES + Long.BYTES;
    /** operation, step, sequence number, operation length, payload bytes */
    private static final int HEADER_BYTES = 4 * Integer.BYTES + Long.BYTES;
    private static final long POLL_MILLIS = 200;
    private static final int OP_ALL_REDUCE = 1;
    private static final int OP_SMALL_ALL_REDUCE = 2;
    private static final int OP_ALL_GATHER = 3;

    private final int rank;
    private final int size;
    private final Options options;
    private final String[] addresses;
    private final Selector selector;
    private final StatsCounter stats = new StatsCounter();
    private SocketChannel toNext;
    private SocketChannel fromPrev;
    private volatile boolean closed;
    private String failure;

    private long sequence;
    private long opSent;
    private long opReceived;
    private long opFirstByte;
    private final ByteBuffer sendHeader = direct(HEADER_BYTES);
    private final ByteBuffer recvHeader = direct(HEADER_BYTES);
    private ByteBuffer sendPayload = direct(0);
    private ByteBuffer recvPayload = direct(0);
    private float[] scratch = new float[0];

    private RingCollective(int rank, int size, Options options, String[] addresses, Selector selector) {
        this.rank = rank;
        this.size = size;
        this.options = options;
        this.addresses = addresses;
        this.selector = selector;
    }

    /**
     * Joins a ring of {@code size} replicas as rank {@code rank}. Every replica calls this at about the same time:
     * it opens a server socket on an ephemeral port (on all interfaces), passes its address
     * {@code advertisedHost + ":" + port} to {@code exchangeAddresses}, which must return every replica's address indexed
     * by rank (in Spark: {@code BarrierTaskContext.allGather}), then connects to its successor, accepts its
     * predecessor, and checks with a handshake that each neighbour is the expected rank of the same group. A group of
     * one opens nothing and does not call {@code exchangeAddresses}.
     *
     * @param rank              this replica's rank, {@code 0 <= rank < size}
     * @param size              the number of replicas
     * @param advertisedHost    the host name or IP under which the other replicas reach this one
     * @param exchangeAddresses an all-gather among the replicas: given this replica's {@code "host:port"}, returns all
     *                          replicas' addresses indexed by rank, the same list on every replica
     * @param options           timeouts, the small path and cancellation; {@link Options#defaults()} to start from
     * @return this replica's end of the ring, connected to both neighbours
     * @throws CollectiveException when the exchange fails or returns a bad list, a neighbour cannot be reached, refuses
     *                             the handshake or sends a wrong one, or {@link Options#connectTimeout()} passes
     */
    public static RingCollective connect(int rank, int size, String advertisedHost, Function<String, String[]> exchangeAddresses, Options options) {
        if (size < 1 || rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " is not in a group of " + size + " replicas");
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(exchangeAddresses, "exchangeAddresses");
        Objects.requireNonNull(options, "options");
        if (size == 1) return new RingCollective(rank, size, options, new String[] {advertisedHost}, null);
        RingCollective ring = null;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
            server.bind(new InetSocketAddress(0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            String me = (advertisedHost.contains(":") ? "[" + advertisedHost + "]" : advertisedHost) + ":" + port;
            String[] addresses = exchange(exchangeAddresses, me, rank, size);
            ring = new RingCollective(rank, size, options, addresses, Selector.open());
            ring.link(server);
            return ring;
        } catch (IOException | RuntimeException e) {
            if (ring != null) ring.close();
            if (e instanceof CollectiveException c) throw c;
            throw new CollectiveException("rank " + rank + " could not join the ring: " + e, e);
        }
    }

    private static String[] exchange(Function<String, String[]> exchangeAddresses, String me, int rank, int size) {
        String[] addresses;
        try {
            addresses = exchangeAddresses.apply(me);
        } catch (RuntimeException e) {
            throw new CollectiveException("rank " + rank + ": the address exchange failed: " + e, e);
        }
        if (addresses == null || addresses.length != size) {
            throw new CollectiveException("the address exchange returned " + (addresses == null ? "null" : addresses.length + " addresses") + " to rank "
                    + rank + " of " + size + ": it must return every replica's address, indexed by rank");
        }
        if (!me.equals(addresses[rank])) {
            throw new CollectiveException("the address exchange returned " + addresses[rank] + " at rank " + rank + ", but that replica advertised "
                    + me + ": it must return the addresses indexed by rank");
        }
        return addresses.clone();
    }

    /** Connects to the successor, accepts the predecessor, and completes both handshakes. */
    private void link(ServerSocketChannel server) throws IOException {
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        int next = (rank + 1) % size;
        toNext = SocketChannel.open();
        configure(toNext);
        try {
            toNext.socket().connect(socketAddress(next), (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (IOException e) {
            throw new CollectiveException("rank " + rank + " could not connect to " + peer(toNext) + ": " + e
                    + " (is that address reachable from this host, and is that replica still running?)", e);
        }
        toNext.configureBlocking(false);
        toNext.register(selector, 0);
        ByteBuffer hello = direct(HELLO_BYTES).putInt(MAGIC).putInt(VERSION).putInt(size).putInt(rank).putInt(next).putLong(groupId()).flip();
        pump(toNext, new ByteBuffer[] {hello}, true, null, null, deadline - System.nanoTime(), "the handshake");
        fromPrev = acceptPredecessor(server, deadline);
        ByteBuffer reply = direct(2 * Integer.BYTES);
        pump(null, null, false, toNext, reply, deadline - System.nanoTime(), "the handshake");
        if (reply.flip().getInt() != 0) {
            ByteBuffer reason = direct(Math.max(0, Math.min(reply.getInt(), 4096)));
            pump(null, null, false, toNext, reason, deadline - System.nanoTime(), "the handshake");
            throw new CollectiveException(peer(toNext) + " refused rank " + rank + ": " + StandardCharsets.UTF_8.decode(reason.flip()));
        }
    }

    /**
     * Accepts connections until the predecessor's handshake arrives; closes connections that do not speak this protocol,
     * refuses (and fails on) one that does but is not the expected rank of this group.
     */
    private SocketChannel acceptPredecessor(ServerSocketChannel server, long deadline) throws IOException {
        int prev = (rank - 1 + size) % size;
        server.configureBlocking(false);
        SelectionKey accepting = server.register(selector, SelectionKey.OP_ACCEPT);
        String strays = "";
        while (true) {
            checkCancelled("the handshake");
            SocketChannel c = server.accept();
            if (c == null) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new CollectiveException("rank " + rank + " got no connection from rank " + prev + " (" + addresses[prev] + ") within "
                            + seconds(options.connectTimeout().toNanos()) + strays + ": that replica stopped, or cannot reach this one at "
                            + addresses[rank]);
                }
                await(null, null);
                continue;
            }
            Object from = c.getRemoteAddress();
            String refusal;
            try {
                configure(c);
                c.configureBlocking(false);
                c.register(selector, 0);
                ByteBuffer hello = direct(HELLO_BYTES);
                try {
                    pump(null, null, false, c, hello, deadline - System.nanoTime(), "the handshake");
                } catch (CollectiveException e) {
                    c.close(); // a stray connection that closed or sent too little; the next loop notices cancellation and the deadline
                    strays = " (closed a connection from " + from + " that sent no handshake)";
                    continue;
                }
                if (hello.flip().getInt() != MAGIC) {
                    c.close();
                    strays = " (closed a connection from " + from + " that does not speak this protocol)";
                    continue;
                }
                refusal = refusal(hello.getInt(), hello.getInt(), hello.getInt(), hello.getInt(), hello.getLong(), prev);
                byte[] reason = refusal == null ? new byte[0] : refusal.getBytes(StandardCharsets.UTF_8);
                ByteBuffer reply = direct(2 * Integer.BYTES + reason.length).putInt(refusal == null ? 0 : 1).putInt(reason.length).put(reason).flip();
                pump(c, new ByteBuffer[] {reply}, true, null, null, deadline - System.nanoTime(), "the handshake");
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
            if (refusal != null) {
                c.close();
                throw new CollectiveException(refusal + " (connection from " + from + ")");
            }
            accepting.cancel();
            return c;
        }
    }

    /** Why a handshake from another replica of this protocol is refused, or null when it comes from the predecessor of this group. */
    private String refusal(int version, int theirSize, int from, int to, long group, int prev) {
        if (version != VERSION) {
            return "rank " + rank + " speaks protocol version " + VERSION + " but rank " + from + " version " + version
                    + ": every replica must run the same oialr version";
        }
        if (theirSize != size) {
            return "rank " + from + " belongs to a group of " + theirSize + " replicas, rank " + rank + " to one of " + size
                    + ": every replica must be given the same size";
        }
        if (from != prev || to != rank) {
            return "rank " + rank + " expected its predecessor rank " + prev + ", but rank " + from + " connected (looking for rank " + to
                    + "): the address list is not in rank order, or two replicas claim the same rank";
        }
        if (group != groupId()) {
            return "rank " + from + " was given another address list than rank " + rank
                    + ": the address exchange must return the same list to every replica of a group";
        }
        return null;
    }

    private long groupId() {
        return UUID.nameUUIDFromBytes(String.join(" ", addresses).getBytes(StandardCharsets.UTF_8)).getMostSignificantBits();
    }

    private InetSocketAddress socketAddress(int r) {
        String a = addresses[r];
        int colon = a.lastIndexOf(':');
        try {
            String host = a.substring(0, Math.max(colon, 0)).replace("[", "").replace("]", "");
            InetSocketAddress address = new InetSocketAddress(host, Integer.parseInt(a.substring(colon + 1)));
            if (address.isUnresolved()) throw new CollectiveException("rank " + rank + " cannot resolve the host of rank " + r + "'s address " + a);
            return address;
        } catch (IllegalArgumentException e) { // a bad port number
            throw new CollectiveException("rank " + r + "'s address '" + a + "' is not host:port", e);
        }
    }

    private void configure(SocketChannel c) throws IOException {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferBytes());
        c.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void allReduceSum(float[] data, int length) {
        if (length < 0 || length > data.length) throw new IllegalArgumentException("length " + length + " is outside data[0, " + data.length + "]");
        long start = begin("allReduceSum");
        if (size > 1) {
            try {
                if (4L * length < options.smallThresholdBytes()) smallAllReduce(data, length);
                else ringAllReduce(data, length);
            } catch (CollectiveException e) {
                throw fail(e);
            }
        }
        end(true, start);
    }

    @Override
    public byte[][] allGather(byte[] message) {
        Objects.requireNonNull(message, "message");
        long start = begin("allGather");
        byte[][] all = new byte[][] {message.clone()};
        if (size > 1) {
            try {
                all = gather(message, OP_ALL_GATHER, 0);
            } catch (CollectiveException e) {
                throw fail(e);
            }
        }
        end(false, start);
        return all;
    }

    @Override
    public CollectiveStats stats() {
        return stats.snapshot();
    }

    /** Closes the sockets; a pending operation of this replica fails, and so do its neighbours'. */
    @Override
    public void close() {
        closed = true;
        for (AutoCloseable c : new AutoCloseable[] {toNext, fromPrev, selector}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // closing is best effort: the peers notice the connection ending either way
            }
        }
    }

    private long begin(String op) {
        if (closed) {
            throw new CollectiveException(failure != null
                    ? "rank " + rank + "'s ring failed earlier (" + failure + "); connect a new ring"
                    : "rank " + rank + "'s RingCollective is closed; " + op + " needs an open one");
        }
        opSent = 0;
        opReceived = 0;
        opFirstByte = 0;
        return System.nanoTime();
    }

    private void end(boolean allReduce, long start) {
        sequence++;
        long now = System.nanoTime();
        long wait = opFirstByte == 0 ? 0 : opFirstByte - start;
        stats.add(allReduce, opSent, opReceived, wait, now - start);
    }

    /** Records the failure, closes the ring (so the neighbours fail too) and returns the exception to throw. */
    private CollectiveException fail(CollectiveException e) {
        failure = e.getMessage();
        close();
        return e;
    }

    private void ringAllReduce(float[] data, int length) {
        int n = size;
        int largest = Chunks.size(length, n, 0);
        sendPayload = capacity(sendPayload, 4 * largest);
        recvPayload = capacity(recvPayload, 4 * largest);
        if (scratch.length < largest) scratch = new float[largest];
        for (int s = 0; s < n - 1; s++) { // reduce-scatter: add this replica's values to the chunk coming from the predecessor
            int c = Chunks.mod(rank - s - 1, n);
            int from = Chunks.start(length, n, c);
            int count = Chunks.size(length, n, c);
            fill(data, length, Chunks.mod(rank - s, n));
            step(OP_ALL_REDUCE, s, length, sendPayload, 4 * count).asFloatBuffer().get(scratch, 0, count);
            for (int i = 0; i < count; i++) data[from + i] = scratch[i] + data[from + i];
        }
        for (int s = 0; s < n - 1; s++) { // all-gather: pass the finished chunks on, bit for bit
            int c = Chunks.mod(rank - s, n);
            if (s == 0) {
                fill(data, length, Chunks.mod(rank + 1, n));
            } else { // forward the chunk received in the previous step
                ByteBuffer received = recvPayload;
                recvPayload = sendPayload;
                sendPayload = received;
            }
            step(OP_ALL_REDUCE, n - 1 + s, length, sendPayload, 4 * Chunks.size(length, n, c)).asFloatBuffer()
                    .get(data, Chunks.start(length, n, c), Chunks.size(length, n, c));
        }
    }

    /** Puts chunk {@code c} of {@code data} into the send buffer. */
    private void fill(float[] data, int length, int c) {
        int count = Chunks.size(length, size, c);
        sendPayload.clear().asFloatBuffer().put(data, Chunks.start(length, size, c), count);
        sendPayload.limit(4 * count);
    }

    private void smallAllReduce(float[] data, int length) {
        byte[] mine = new byte[4 * length];
        ByteBuffer.wrap(mine).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, 0, length);
        byte[][] all = gather(mine, OP_SMALL_ALL_REDUCE, length);
        for (int k = 0; k < size; k++) {
            if (all[k].length != mine.length) {
                throw new CollectiveException("rank " + k + " contributed " + all[k].length / 4 + " floats to allReduceSum, rank " + rank + " " + length
                        + ": every replica must reduce the same length");
            }
        }
        if (scratch.length < length) scratch = new float[length];
        for (int k = 0; k < size; k++) { // rank order
            FloatBuffer x = ByteBuffer.wrap(all[k]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (k == 0) {
                x.get(data, 0, length);
            } else {
                x.get(scratch, 0, length);
                for (int i = 0; i < length; i++) data[i] += scratch[i];
            }
        }
    }

    /** Every replica's message by rank, through {@link Options#smallGather()} or around the ring. */
    private byte[][] gather(byte[] message, int op, int opLength) {
        if (options.smallGather() != null) return smallGather(message);
        byte[][] all = new byte[size][];
        all[rank] = message.clone();
        for (int s = 0; s < size - 1; s++) { // pass on what came in the previous step
            ByteBuffer in = step(op, s, opLength, ByteBuffer.wrap(all[Chunks.mod(rank - s, size)]), -1);
            int from = Chunks.mod(rank - s - 1, size);
            all[from] = new byte[in.remaining()];
            in.get(all[from]);
        }
        return all;
    }

    private byte[][] smallGather(byte[] message) {
        byte[][] all;
        try {
            all = options.smallGather().apply(message.clone());
        } catch (RuntimeException e) {
            throw new CollectiveException("rank " + rank + ": Options.smallGather failed: " + e, e);
        }
        opFirstByte = System.nanoTime();
        if (all == null || all.length != size || Arrays.stream(all).anyMatch(Objects::isNull) || !Arrays.equals(all[rank], message)) {
            throw new CollectiveException("Options.smallGather returned " + (all == null ? "null" : all.length + " messages") + " to rank " + rank
                    + " of " + size + ", or lost its message: it must return every replica's message, indexed by rank");
        }
        opSent += message.length;
        for (int k = 0; k < size; k++) if (k != rank) opReceived += all[k].length;
        return all;
    }

    /**
     * One ring step: sends a frame (header and {@code payload}) to the successor while receiving one from the
     * predecessor, whose header must match this step; {@code expectedBytes < 0} accepts any payload length. Returns the
     * received payload (read it before the next step).
     */
    private ByteBuffer step(int op, int step, int opLength, ByteBuffer payload, int expectedBytes) {
        int sending = payload.remaining();
        sendHeader.clear().putInt(op).putInt(step).putLong(sequence).putInt(opLength).putInt(sending).flip();
        ByteBuffer[] out = {sendHeader, payload};
        recvHeader.clear();
        String during = opName(op);
        pump(toNext, out, false, fromPrev, recvHeader, options.readTimeout().toNanos(), during);
        recvHeader.flip();
        int theirOp = recvHeader.getInt();
        int theirStep = recvHeader.getInt();
        long theirSequence = recvHeader.getLong();
        int theirLength = recvHeader.getInt();
        int bytes = recvHeader.getInt();
        String from = peer(fromPrev);
        if (theirOp != op) {
            throw new CollectiveException(from + " is in " + opName(theirOp) + " while rank " + rank + " is in " + during
                    + ": every replica must make the same calls in the same order, with the same options");
        }
        if (theirSequence != sequence) {
            throw new CollectiveException(from + " is at operation #" + theirSequence + " while rank " + rank + " is at #" + sequence
                    + ": every replica must make the same calls in the same order");
        }
        if (theirLength != opLength) {
            throw new CollectiveException(from + " called allReduceSum with length " + theirLength + ", rank " + rank + " with length " + opLength
                    + ": every replica must reduce the same length");
        }
        if (theirStep != step || bytes < 0 || (expectedBytes >= 0 && bytes != expectedBytes)) {
            throw new CollectiveException(from + " sent step " + theirStep + " with " + bytes + " bytes, rank " + rank + " expected step " + step
                    + (expectedBytes >= 0 ? " with " + expectedBytes + " bytes" : "") + ": the stream is corrupt");
        }
        recvPayload = capacity(recvPayload, bytes);
        recvPayload.clear().limit(bytes);
        pump(toNext, out, true, fromPrev, recvPayload, options.readTimeout().toNanos(), during);
        opSent += sending;
        opReceived += bytes;
        return recvPayload.flip();
    }

    /**
     * Writes {@code out} to {@code outChannel} while filling {@code in} from {@code inChannel} (either may be null), until
     * {@code in} is full and, if {@code finishSending}, {@code out} is written. Fails when a channel ends or errs, when
     * nothing moves for {@code timeoutNanos}, or when cancelled.
     */
    private void pump(SocketChannel outChannel, ByteBuffer[] out, boolean finishSending, SocketChannel inChannel, ByteBuffer in,
                      long timeoutNanos, String during) {
        long lastMove = System.nanoTime();
        while (true) {
            boolean sending = out != null && Arrays.stream(out).anyMatch(ByteBuffer::hasRemaining);
            boolean receiving = in != null && in.hasRemaining();
            if (!receiving && (!sending || !finishSending)) return;
            checkCancelled(during);
            boolean moved = false;
            if (sending) {
                try {
                    moved = outChannel.write(out) > 0;
                } catch (IOException e) {
                    throw lost(outChannel, during, e);
                }
            }
            if (receiving) {
                int read;
                try {
                    read = inChannel.read(in);
                } catch (IOException e) {
                    throw lost(inChannel, during, e);
                }
                if (read < 0) {
                    throw new CollectiveException(peer(inChannel) + " closed the connection during " + during + " of rank " + rank
                            + ": it stopped or failed (see its own error)");
                }
                if (read > 0) {
                    moved = true;
                    if (opFirstByte == 0) opFirstByte = System.nanoTime();
                }
            }
            long now = System.nanoTime();
            if (moved) {
                lastMove = now;
                continue;
            }
            if (now - lastMove >= timeoutNanos) {
                throw new CollectiveException(receiving
                        ? "rank " + rank + " received nothing from " + peer(inChannel) + " for " + seconds(timeoutNanos) + " during " + during
                                + ": that replica hung, died without closing its connection, or is slower than the timeout (Options.readTimeout)"
                        : peer(outChannel) + " took no data from rank " + rank + " for " + seconds(timeoutNanos) + " during " + during
                                + ": that replica hung, or is slower than the timeout (Options.readTimeout)");
            }
            try {
                await(sending ? outChannel : null, receiving ? inChannel : null);
            } catch (IOException | ClosedSelectorException | CancelledKeyException e) {
                throw lost(receiving ? inChannel : outChannel, during, e);
            }
        }
    }

    /**
     * Waits at most {@code POLL_MILLIS} until {@code writable} can take bytes or {@code readable} has some (either may
     * be null), or a connection arrives at a registered server socket.
     */
    private void await(SocketChannel writable, SocketChannel readable) throws IOException {
        for (SelectionKey key : selector.keys()) {
            if (!key.isValid() || key.channel() instanceof ServerSocketChannel) continue; // closed strays linger until the next select
            key.interestOps((key.channel() == writable ? SelectionKey.OP_WRITE : 0) | (key.channel() == readable ? SelectionKey.OP_READ : 0));
        }
        selector.select(POLL_MILLIS);
        selector.selectedKeys().clear();
    }

    private void checkCancelled(String during) {
        if (Thread.currentThread().isInterrupted()) throw new CollectiveException("rank " + rank + ": " + during + " cancelled: the thread was interrupted");
        if (options.cancelled().getAsBoolean()) throw new CollectiveException("rank " + rank + ": " + during + " cancelled by the caller");
    }

    private CollectiveException lost(SocketChannel channel, String during, Exception e) {
        if (closed) return new CollectiveException("rank " + rank + " was closed during " + during, e);
        return new CollectiveException("the connection of rank " + rank + " with " + peer(channel) + " failed during " + during + ": " + e
                + " (that replica stopped or failed: see its own error)", e);
    }

    /** The neighbour at the other end of {@code channel}, by rank and address. */
    private String peer(SocketChannel channel) {
        if (channel != null && channel == toNext) return "rank " + (rank + 1) % size + " (" + addresses[(rank + 1) % size] + ")";
        if (channel != null && channel == fromPrev) return "rank " + (rank - 1 + size) % size + " (" + addresses[(rank - 1 + size) % size] + ")";
        return "the connection from " + (channel == null ? "?" : channel.socket().getRemoteSocketAddress());
    }

    private static String opName(int op) {
        return switch (op) {
            case OP_ALL_REDUCE -> "allReduceSum";
            case OP_SMALL_ALL_REDUCE -> "allReduceSum (small path)";
            case OP_ALL_GATHER -> "allGather";
            default -> "an unknown operation (code " + op + ")";
        };
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer capacity(ByteBuffer buffer, int bytes) {
        return buffer.capacity() >= bytes ? buffer : direct(bytes);
    }

    private static String seconds(long nanos) {
        return String.format("%.1f s", nanos / 1e9);
    }
}
