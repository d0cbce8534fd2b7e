package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bookkeeping of native resources (release once, live counters, owners, leaks), with fake resources. */
class NativeResourceTest {
    /** A fake resource whose release runs {@code free}. */
    static final class Fake extends NativeResource {
        Fake(String what, long bytes, Runnable free) {
            super(what, bytes, free);
        }
    }

    @Test
    void closeReleasesOnceAndCountsBytes() {
        long bytes0 = DeviceMemory.liveBytes(), res0 = DeviceMemory.liveResources(), peak0 = DeviceMemory.peakBytes();
        AtomicInteger frees = new AtomicInteger();
        Fake r = new Fake("fake buffer", 1 << 20, frees::incrementAndGet);
        assertEquals(bytes0 + (1 << 20), DeviceMemory.liveBytes());
        assertEquals(res0 + 1, DeviceMemory.liveResources());
        assertTrue(DeviceMemory.peakBytes() >= Math.max(peak0, bytes0 + (1 << 20)));
        r.requireOpen();
        r.close();
        r.close();
        assertEquals(1, frees.get(), "released exactly once");
        assertEquals(bytes0, DeviceMemory.liveBytes());
        assertEquals(res0, DeviceMemory.liveResources());
        assertTrue(r.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, r::requireOpen);
        assertTrue(e.getMessage().contains("fake buffer is closed"), e.getMessage());
    }

    @Test
    void aFailingReleaseStillCountsAsReleased() {
        long bytes0 = DeviceMemory.liveBytes();
        Fake r = new Fake("bad", 64, () -> {
            throw new IllegalStateException("cudaFree failed");
        });
        assertThrows(IllegalStateException.class, r::close);
        assertEquals(bytes0, DeviceMemory.liveBytes());
        r.close(); // no second attempt, no exception
    }

    @Test
    void ownerClosesInReverseOrderPastFailures() {
        List<String> order = new ArrayList<>();
        ResourceOwner owner = new ResourceOwner("test owner");
        owner.own(new Fake("stream", 0, () -> order.add("stream")));
        owner.own(new Fake("handle", 0, () -> {
            order.add("handle");
            throw new IllegalStateException("destroy handle failed");
        }));
        owner.own(new Fake("buffer", 16, () -> order.add("buffer")));
        owner.own(new Fake("info", 0, () -> {
            order.add("info");
            throw new IllegalArgumentException("destroy info failed");
        }));
        assertEquals(4, owner.size());
        RuntimeException e = assertThrows(RuntimeException.class, owner::close);
        assertEquals(List.of("info", "buffer", "handle", "stream"), order, "last acquired, first released; none skipped");
        assertEquals("destroy info failed", e.getMessage(), "the first failure is thrown");
        assertEquals(1, e.getSuppressed().length);
        assertEquals("destroy handle failed", e.getSuppressed()[0].getMessage());
        owner.close(); // idempotent: nothing left
    }

    @Test
    void aClosedOwnerRejectsAndReleasesNewResources() {
        ResourceOwner owner = new ResourceOwner("closed owner");
        owner.close();
        AtomicInteger frees = new AtomicInteger();
        Fake r = new Fake("late", 8, frees::incrementAndGet);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> owner.own(r));
        assertTrue(e.getMessage().contains("closed owner is closed"), e.getMessage());
        assertEquals(1, frees.get(), "released instead of leaked");
    }

    @Test
    void releaseReplacesOneResource() {
        ResourceOwner owner = new ResourceOwner("owner");
        AtomicInteger frees = new AtomicInteger();
        Fake small = owner.own(new Fake("small", 4, frees::incrementAndGet));
        Fake big = owner.own(new Fake("big", 8, frees::incrementAndGet));
        owner.release(small);
        assertEquals(1, frees.get());
        assertEquals(1, owner.size());
        assertSame(big, owner.own(big), "owning again returns the resource");
        owner.close();
        assertEquals(2, frees.get(), "big released once although owned twice");
    }

    @Test
    void anUnclosedResourceIsReleasedByTheGarbageCollectorAndCountedAsALeak() throws InterruptedException {
        long leaks0 = DeviceMemory.leaks(), bytes0 = DeviceMemory.liveBytes();
        AtomicInteger frees = new AtomicInteger();
        allocateAndDrop(frees);
        for (int i = 0; i < 200 && frees.get() == 0; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(1, frees.get(), "the Cleaner released the dropped resource");
        assertEquals(leaks0 + 1, DeviceMemory.leaks());
        assertEquals(bytes0, DeviceMemory.liveBytes());
    }

    private static void allocateAndDrop(AtomicInteger frees) {
        new Fake("dropped buffer", 128, frees::incrementAndGet);
    }

    @Test
    void humanSizes() {
        assertEquals("512 B", DeviceMemory.human(512));
        assertEquals("1.5 KiB", DeviceMemory.human(1536));
        assertEquals("79.1 GiB", DeviceMemory.human((long) (79.1 * (1L << 30))));
    }
}
