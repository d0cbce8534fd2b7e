package org.oialr.spark;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import scala.reflect.ClassTag;

/** Runs a function over every partition of an RDD as one barrier stage (all tasks start together) and collects. */
final class Barrier {
    private Barrier() {
    }

    @SuppressWarnings("unchecked")
    static <T, R> List<R> collect(JavaRDD<T> rdd, FlatMapFunction<Iterator<T>, R> f) {
        ClassTag<R> tag = (ClassTag<R>) (ClassTag<?>) scala.reflect.ClassTag$.MODULE$.AnyRef();
        scala.Function1<scala.collection.Iterator<T>, scala.collection.Iterator<R>> fn = (scala.Function1<scala.collection.Iterator<T>, scala.collection.Iterator<R>> & Serializable)
                it -> {
                    try {
                        return scala.jdk.javaapi.CollectionConverters.asScala(f.call(scala.jdk.javaapi.CollectionConverters.asJava(it)));
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                };
        return JavaRDD.fromRDD(rdd.rdd().barrier().mapPartitions(fn, false, tag), tag).collect();
    }
}
