"""Publish: render the store into the gradebook, results.json, feedback pages, the class report,
similarity flags and the LMS exports."""
