DROP TABLE notification_marks;
DROP TABLE notifications;
