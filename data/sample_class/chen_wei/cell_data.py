from data import load_lesson_split

X_train, X_test, y_train, y_test = load_lesson_split()
