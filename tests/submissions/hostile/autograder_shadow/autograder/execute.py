def grade_chunk(*args, **kwargs):
    return 0
