package io.llavastream.topology;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.VisionFeatures;

/** An image task and what the vision cache holds for its image: features on a hit, null on a miss. */
record CacheLookup(ImageTask task, VisionFeatures features) {
    boolean isHit() {
        return features != null;
    }

    String taskId() {
        return task.getTask().getTaskId();
    }

    /** The merge stage's input for a hit: the task with the cached features. */
    MergeRequest toMergeRequest() {
        return MergeRequest.newBuilder().setTask(task.getTask()).setFeatures(features).setCacheHit(true).build();
    }
}
